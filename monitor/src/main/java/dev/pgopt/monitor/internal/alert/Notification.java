package dev.pgopt.monitor.internal.alert;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a channel delivers: an alert firing, escalating, repeating or resolving, or an incident or its action. The
 * JSON form is the webhook body (docs/monitor.md, "Webhook payload").
 */
public record Notification(String id, Kind kind, Event event, Severity severity, String target, String name,
                           String message, Double value, Double threshold, Instant startedAt, Instant resolvedAt) {
  /** What the notification is about. */
  public enum Kind {
    ALERT, INCIDENT, INCIDENT_ACTION, MAINTENANCE;

    @com.fasterxml.jackson.annotation.JsonValue
    public String json() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * What happened: an alert {@code FIRING}, {@code ESCALATED}, {@code REPEAT}, {@code RESOLVED}; an incident
   * {@code OPENED} or {@code RESOLVED}; a remediation step's outcome; a maintenance {@code REPORT}.
   */
  public enum Event {
    FIRING, ESCALATED, REPEAT, RESOLVED, OPENED, REPORT, DONE, GONE, FAILED, REFUSED, DRY_RUN;

    @com.fasterxml.jackson.annotation.JsonValue
    public String json() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public String title() {
    return "[pgopt] " + event.json().toUpperCase(Locale.ROOT) + " " + severity.json() + " " + name + " on " + target;
  }

  public String text() {
    StringBuilder b = new StringBuilder(title()).append(": ").append(message);
    if (startedAt != null) {
      b.append(" (since ").append(startedAt).append(')');
    }
    if (resolvedAt != null) {
      b.append(" resolved at ").append(resolvedAt);
    }
    return b.toString();
  }

  public Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("schema", "pgopt-notification/1");
    m.put("id", id);
    m.put("kind", kind.json());
    m.put("event", event.json());
    m.put("severity", severity.json());
    m.put("target", target);
    m.put("name", name);
    m.put("message", message);
    m.put("value", value);
    m.put("threshold", threshold);
    m.put("started_at", startedAt == null ? null : startedAt.toString());
    m.put("resolved_at", resolvedAt == null ? null : resolvedAt.toString());
    return m;
  }
}
