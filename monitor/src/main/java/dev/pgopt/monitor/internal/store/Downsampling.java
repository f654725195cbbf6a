package dev.pgopt.monitor.internal.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Rolls raw samples up into hourly avg/min/max/count. Re-rolling the last few hours is idempotent (upsert), so a
 * restart or a missed run never leaves a gap and never double counts.
 */
final class Downsampling {
  private Downsampling() {}

  static void rollUp(Connection c, Instant now) throws SQLException {
    Instant to = now.truncatedTo(ChronoUnit.HOURS);
    Instant from = to.minus(Duration.ofHours(3));
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO pgopt.samples_hourly (target, metric, ts, avg, min, max, count)
        SELECT target, metric, date_trunc('hour', ts), avg(value), min(value), max(value), count(*)
          FROM pgopt.samples WHERE ts >= ? AND ts < ?
         GROUP BY 1, 2, 3
        ON CONFLICT (target, metric, ts) DO UPDATE
           SET avg = excluded.avg, min = excluded.min, max = excluded.max, count = excluded.count""")) {
      ps.setTimestamp(1, HistoryStore.ts(from));
      ps.setTimestamp(2, HistoryStore.ts(to));
      ps.executeUpdate();
    }
  }
}
