package dev.pgopt.analyze.health;

import java.util.Locale;

/** Printing of durations, byte sizes, counts and percentages for reports (parsing them: {@link dev.pgopt.connect.Quantities}). */
public final class Units {
  private Units() {}

  public static String bytes(double b) {
    String[] units = {"B", "kB", "MB", "GB", "TB"};
    int i = 0;
    while (Math.abs(b) >= 1024 && i < units.length - 1) {
      b /= 1024;
      i++;
    }
    return (i == 0 || b >= 100 ? String.format(Locale.ROOT, "%.0f", b) : String.format(Locale.ROOT, "%.1f", b)) + " " + units[i];
  }

  public static String seconds(double s) {
    if (s < 1) {
      return String.format(Locale.ROOT, "%.0f ms", s * 1000);
    }
    if (s < 120) {
      return String.format(Locale.ROOT, "%.0f s", s);
    }
    if (s < 7200) {
      return String.format(Locale.ROOT, "%.0f min", s / 60);
    }
    if (s < 172800) {
      return String.format(Locale.ROOT, "%.1f h", s / 3600);
    }
    return String.format(Locale.ROOT, "%.1f d", s / 86400);
  }

  public static String percent(double p) {
    return String.format(Locale.ROOT, p >= 99.95 || p < 10 ? "%.1f %%" : "%.0f %%", p).replace("100.0 %", "100 %");
  }

  public static String count(double n) {
    return String.format(Locale.ROOT, "%,.0f", n);
  }

  public static String truncate(String s, int max) {
    if (s == null) {
      return null;
    }
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() <= max ? one : one.substring(0, Math.max(0, max - 1)) + "…";
  }
}
