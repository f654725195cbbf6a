package dev.pgopt.connect;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations and sizes as people write them in flags, configuration files and query parameters ({@code 90s},
 * {@code 5min}, {@code 512MB}), counted as PostgreSQL counts them (1 kB = 1024 bytes).
 */
public final class Quantities {
  private static final Pattern DURATION = Pattern.compile("(?i)^\\s*(\\d+(?:\\.\\d+)?)\\s*(ms|s|sec|min|m|h|d)?\\s*$");
  private static final Pattern BYTES = Pattern.compile("(?i)^\\s*(\\d+(?:\\.\\d+)?)\\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\\s*$");

  private Quantities() {}

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
}
