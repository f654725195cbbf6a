package dev.pgopt.monitor;

import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.OptionalDouble;

/**
 * Reads what a monitor kept in its store (the {@code pgopt} schema), for commands that size from history rather than
 * a sample taken now: {@code pgopt pooler config --history}.
 */
public final class StoredHistory {
  private StoredHistory() {}

  /**
   * The highest value of {@code series} for {@code target} over {@code lookback}: raw samples where they are kept,
   * hourly maxima beyond; empty when the store holds none (no such target or series, or the monitor never ran).
   */
  public static OptionalDouble peak(Connection store, String target, String series, Duration lookback) throws SQLException {
    if (Sql.list(store, "SELECT 1 FROM pg_tables WHERE schemaname = 'pgopt' AND tablename = 'samples_hourly'", rs -> 1).isEmpty()) {
      return OptionalDouble.empty();
    }
    Double peak = Sql.one(store, """
        SELECT max(v) FROM (
          SELECT max(value) AS v FROM pgopt.samples
          WHERE target = ? AND metric = ? AND ts > now() - make_interval(secs => ?)
          UNION ALL
          SELECT max(max) FROM pgopt.samples_hourly
          WHERE target = ? AND metric = ? AND ts > now() - make_interval(secs => ?)) p""",
        rs -> Sql.nullableDouble(rs, "max"), target, series, (double) lookback.toSeconds(), target, series,
        (double) lookback.toSeconds());
    return peak == null ? OptionalDouble.empty() : OptionalDouble.of(peak);
  }
}
