package dev.pgopt.analyze.health;

import java.util.Map;

/**
 * One line of the health report.
 *
 * @param value the measured value: a number in {@code threshold.unit()}, or text where no number fits
 * @param display the value as people read it (e.g. "42/97 (43 %)")
 * @param message one line of explanation
 * @param fix what to do next, or null when nothing needs doing
 * @param details check-specific structure, documented in docs/check-report.md
 */
public record CheckResult(String name, Status status, Object value, String display, Threshold threshold,
                          String message, String fix, Map<String, Object> details) {

  public static CheckResult unknown(String name, String message, String fix) {
    return new CheckResult(name, Status.UNKNOWN, null, "?", Threshold.none(), message, fix, Map.of());
  }
}
