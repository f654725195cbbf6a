package dev.pgopt.monitor;

import dev.pgopt.advise.TableGrowth;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Reads what a monitor kept in its store (the {@code pgopt} schema), for commands that size from history rather than
 * a sample taken now: {@code pgopt pooler config --history}, {@code pgopt advise --history}.
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

  /**
   * Each kept table's growth over {@code lookback}: the least-squares slope of its total size (heap, indexes, TOAST)
   * through the sizes the monitor kept in {@code pgopt.table_stats} (the {@code collect.tables_kept} largest, each
   * statements interval), by {@code "schema.table"}. Tables with fewer than two sizes are left out.
   */
  public static Map<String, TableGrowth.Measured> tableGrowth(Connection store, String target, Duration lookback)
      throws SQLException {
    Map<String, TableGrowth.Measured> out = new LinkedHashMap<>();
    if (Sql.list(store, "SELECT 1 FROM pg_tables WHERE schemaname = 'pgopt' AND tablename = 'table_stats'", rs -> 1).isEmpty()) {
      return out;
    }
    String source = "monitor history of target " + target;
    Sql.list(store, """
        SELECT schema_name, table_name, regr_slope(bytes, extract(epoch FROM ts)) * 86400,
               extract(epoch FROM max(ts) - min(ts)) / 86400, count(*)
          FROM pgopt.table_stats
         WHERE target = ? AND ts > now() - make_interval(secs => ?)
         GROUP BY 1, 2 HAVING count(*) >= 2 AND max(ts) > min(ts)""",
        rs -> out.put(rs.getString(1) + "." + rs.getString(2), new TableGrowth.Measured(rs.getDouble(3), rs.getDouble(4),
            rs.getInt(5), source)), target, (double) lookback.toSeconds());
    return out;
  }
}
