package dev.pgopt.analyze.health;

/** The status of one check. {@code UNKNOWN}: the check could not see what it needs (the message says why). */
public enum Status {
  OK, WARNING, CRITICAL, UNKNOWN;

  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static Status worst(Status a, Status b) {
    return a.severity() >= b.severity() ? a : b;
  }

  private int severity() {
    return switch (this) {
      case OK -> 0;
      case UNKNOWN -> 1;
      case WARNING -> 2;
      case CRITICAL -> 3;
    };
  }
}
