package dev.pgopt.monitor.internal.alert;

import java.util.Locale;

/** How urgent an alert, incident or report is. Stored and sent as its JSON name. */
public enum Severity {
  WARNING, CRITICAL;

  @com.fasterxml.jackson.annotation.JsonValue
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The severity a stored row names. */
  public static Severity of(String json) {
    return valueOf(json.toUpperCase(Locale.ROOT));
  }
}
