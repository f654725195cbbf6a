package dev.pgopt.monitor.internal.incident;

import dev.pgopt.monitor.internal.alert.Severity;
import java.time.Instant;
import java.util.Locale;

/** A detected problem, open until its condition is gone. {@code key} identifies it across samples. */
public record Incident(String id, String target, Kind kind, Severity severity, String key, String subject,
                       String details, Instant detectedAt) {
  /** What went wrong; stored and sent as its JSON name. */
  public enum Kind {
    TARGET_UNREACHABLE, RUNAWAY_QUERY, LOCK_CHAIN, CONNECTION_SATURATION, REPLICATION_BROKEN;

    @com.fasterxml.jackson.annotation.JsonValue
    public String json() {
      return name().toLowerCase(Locale.ROOT);
    }
  }
}
