package dev.pgopt.monitor.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest report of each application using the pgopt client library (pool, routing and cache statistics), pushed to
 * {@code POST /api/clients/{name}}. Kept in memory only: a report older than {@link #STALE} is shown as stale, and at
 * most {@link #MAX_CLIENTS} applications are kept so a misbehaving reporter cannot grow the process.
 */
public final class ClientReports {
  static final Duration STALE = Duration.ofMinutes(5);
  static final int MAX_CLIENTS = 200;

  public record Report(String name, Instant receivedAt, JsonNode body) {}

  private final Clock clock;
  private final Map<String, Report> reports = new ConcurrentHashMap<>();

  ClientReports(Clock clock, MeterRegistry registry) {
    this.clock = clock;
    Gauge.builder("pgopt.clients.reporting", this, c -> c.fresh()).description("applications that reported in the last 5 minutes")
        .register(registry);
  }

  /** Stores a report; false when the table of applications is full and {@code name} is new. */
  public boolean accept(String name, JsonNode body) {
    if (!reports.containsKey(name) && reports.size() >= MAX_CLIENTS) {
      reports.values().removeIf(r -> r.receivedAt().isBefore(clock.instant().minus(STALE)));
      if (reports.size() >= MAX_CLIENTS) {
        return false;
      }
    }
    reports.put(name, new Report(name, clock.instant(), body));
    return true;
  }

  public Map<String, Object> view() {
    Map<String, Object> out = new LinkedHashMap<>();
    Instant now = clock.instant();
    reports.values().stream().sorted(java.util.Comparator.comparing(Report::name)).forEach(r -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("received_at", r.receivedAt().toString());
      m.put("stale", r.receivedAt().isBefore(now.minus(STALE)));
      m.put("report", r.body());
      out.put(r.name(), m);
    });
    return out;
  }

  private long fresh() {
    Instant horizon = clock.instant().minus(STALE);
    return reports.values().stream().filter(r -> r.receivedAt().isAfter(horizon)).count();
  }
}
