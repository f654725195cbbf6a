package dev.pgopt.analyze.health;

/**
 * The limits a check's value was compared with. {@code direction} says which way is bad: {@code above} (value ≥
 * limit is bad) or {@code below} (value ≤ limit is bad). A null limit means that level is not used.
 */
public record Threshold(Double warning, Double critical, String unit, String direction) {
  public static Threshold above(Double warning, Double critical, String unit) {
    return new Threshold(warning, critical, unit, "above");
  }

  public static Threshold below(Double warning, Double critical, String unit) {
    return new Threshold(warning, critical, unit, "below");
  }

  public static Threshold none() {
    return new Threshold(null, null, null, "above");
  }

  public Status statusOf(double value) {
    boolean above = direction.equals("above");
    if (critical != null && (above ? value >= critical : value <= critical)) {
      return Status.CRITICAL;
    }
    if (warning != null && (above ? value >= warning : value <= warning)) {
      return Status.WARNING;
    }
    return Status.OK;
  }
}
