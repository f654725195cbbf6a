package dev.pgopt.monitor.internal.alert;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a channel delivers: an alert firing, escalating, repeating or resolving, or an incident or its action. The
 * JSON form is the webhook body (docs/monitor.md, "Webhook payload").
 */
public record Notification(String id, String kind, String event, String severity, String target, String name,
                           String message, Double value, Double threshold, Instant startedAt, Instant resolvedAt) {

  public String title() {
    return "[pgopt] " + event.toUpperCase(java.util.Locale.ROOT) + " " + severity + " " + name + " on " + target;
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
    m.put("kind", kind);
    m.put("event", event);
    m.put("severity", severity);
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
