package dev.pgopt.analyze.health;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing and printing of the units thresholds use: durations, byte sizes, percentages. */
public final class Units {
  private static final Pattern DURATION = Pattern.compile("(?i)^\\s*(\\d+(?:\\.\\d+)?)\\s*(ms|s|sec|min|m|h|d)?\\s*$");
  private static final Pattern BYTES = Pattern.compile("(?i)^\\s*(\\d+(?:\\.\\d+)?)\\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\\s*$");

  private Units() {}

  /** "90s", "5min", "2h", "1500ms", or a bare number of seconds → seconds. */
  public static double parseSeconds(String text) {
    Matcher m = DURATION.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a duration: use e.g. 500ms, 30s, 5min, 2h");
    }
    double n = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
    return switch (unit) {
      case "ms" -> n / 1000;
      case "min", "m" -> n * 60;
      case "h" -> n * 3600;
      case "d" -> n * 86400;
      default -> n;
    };
  }

  /** {@link #parseSeconds} as a Duration (millisecond precision). */
  public static java.time.Duration parseDuration(String text) {
    return java.time.Duration.ofMillis(Math.round(parseSeconds(text) * 1000));
  }

  /** "512MB", "1GB", "1048576" → bytes (1 kB = 1024 bytes, as PostgreSQL counts). */
  public static double parseBytes(String text) {
    Matcher m = BYTES.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a size: use e.g. 512MB, 1GB");
    }
    double n = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT).replace("i", "");
    return switch (unit) {
      case "kb" -> n * 1024;
      case "mb" -> n * 1024 * 1024;
      case "gb" -> n * 1024 * 1024 * 1024;
      case "tb" -> n * 1024L * 1024 * 1024 * 1024;
      default -> n;
    };
  }

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
