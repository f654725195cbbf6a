package dev.pgopt.monitor.internal.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Queries over the history for the API and the dashboard. */
public final class HistoryReads {
  private HistoryReads() {}

  public record Point(Instant ts, double value) {}

  public record StatementTotals(long queryId, String query, String role, long calls, double totalMs, long rows,
                                long blocksHit, long blocksRead, long tempBlocks) {
    public double meanMs() {
      return calls == 0 ? 0 : totalMs / calls;
    }
  }

  public record AlertRow(String id, String target, String rule, String severity, Double value, Double threshold,
                         String message, Instant startedAt, Instant resolvedAt) {}

  public record IncidentRow(String id, String target, String kind, String severity, String subject, String details,
                            Instant detectedAt, Instant resolvedAt, List<ActionRow> actions) {}

  public record ActionRow(Instant at, String action, Integer pid, String role, String application, boolean dryRun,
                          String outcome, String detail) {}

  public record MaintenanceRow(long id, String task, String target, Instant scheduledFor, Instant startedAt,
                               Instant finishedAt, String status, String summary, String instance) {}

  /**
   * Averages of {@code metric} per {@code step} bucket. Ranges within the raw retention read raw samples; longer
   * ranges (or steps of an hour or more) read the hourly roll-up.
   */
  public static List<Point> series(Connection c, String target, String metric, Instant from, Instant to, Duration step,
                                   Duration rawRetention) throws SQLException {
    boolean hourly = step.compareTo(Duration.ofHours(1)) >= 0 || from.isBefore(to.minus(rawRetention));
    String table = hourly ? "pgopt.samples_hourly" : "pgopt.samples";
    String value = hourly ? "avg" : "value";
    long stepSeconds = Math.max(1, step.toSeconds());
    List<Point> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT floor(extract(epoch FROM ts) / ?) * ? AS bucket, avg(" + value
        + ") FROM " + table + " WHERE target = ? AND metric = ? AND ts >= ? AND ts < ? GROUP BY 1 ORDER BY 1")) {
      ps.setLong(1, stepSeconds);
      ps.setLong(2, stepSeconds);
      ps.setString(3, target);
      ps.setString(4, metric);
      ps.setTimestamp(5, HistoryStore.ts(from));
      ps.setTimestamp(6, HistoryStore.ts(to));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Point(Instant.ofEpochSecond(rs.getLong(1)), rs.getDouble(2)));
        }
      }
    }
    return out;
  }

  /** Per statement, per bucket: mean execution time in ms (the sparkline of the queries page). */
  public static Map<Long, List<Point>> statementMeans(Connection c, String target, List<Long> queryIds, Instant from,
                                                      Instant to, Duration step) throws SQLException {
    Map<Long, List<Point>> out = new LinkedHashMap<>();
    if (queryIds.isEmpty()) {
      return out;
    }
    long stepSeconds = Math.max(1, step.toSeconds());
    try (PreparedStatement ps = c.prepareStatement("""
        SELECT queryid, floor(extract(epoch FROM ts) / ?) * ?, sum(total_ms) / nullif(sum(calls), 0)
          FROM pgopt.statement_stats
         WHERE target = ? AND queryid = ANY (?) AND ts >= ? AND ts < ?
         GROUP BY 1, 2 ORDER BY 1, 2""")) {
      ps.setLong(1, stepSeconds);
      ps.setLong(2, stepSeconds);
      ps.setString(3, target);
      ps.setArray(4, c.createArrayOf("int8", queryIds.toArray()));
      ps.setTimestamp(5, HistoryStore.ts(from));
      ps.setTimestamp(6, HistoryStore.ts(to));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          double mean = rs.getDouble(3);
          if (!rs.wasNull()) {
            out.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>()).add(new Point(Instant.ofEpochSecond(rs.getLong(2)), mean));
          }
        }
      }
    }
    return out;
  }

  /** Statement totals over a range of history, ordered by {@code order} (total_ms, mean_ms or calls). */
  public static List<StatementTotals> topStatements(Connection c, String target, Instant from, Instant to, String order,
                                                    int limit) throws SQLException {
    String orderBy = switch (order) {
      case "mean_ms" -> "sum(s.total_ms) / nullif(sum(s.calls), 0) DESC NULLS LAST";
      case "calls" -> "sum(s.calls) DESC";
      default -> "sum(s.total_ms) DESC";
    };
    List<StatementTotals> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("""
        SELECT s.queryid, t.query, t.role, sum(s.calls), sum(s.total_ms), sum(s.rows), sum(s.shared_blks_hit),
               sum(s.shared_blks_read), sum(s.temp_blks)
          FROM pgopt.statement_stats s LEFT JOIN pgopt.statement_texts t ON t.target = s.target AND t.queryid = s.queryid
         WHERE s.target = ? AND s.ts >= ? AND s.ts < ?
         GROUP BY s.queryid, t.query, t.role
        HAVING sum(s.calls) > 0
        """ + " ORDER BY " + orderBy + " LIMIT ?")) {
      ps.setString(1, target);
      ps.setTimestamp(2, HistoryStore.ts(from));
      ps.setTimestamp(3, HistoryStore.ts(to));
      ps.setInt(4, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new StatementTotals(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getDouble(5),
              rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getLong(9)));
        }
      }
    }
    return out;
  }

  public static List<AlertRow> alerts(Connection c, boolean openOnly, int limit) throws SQLException {
    List<AlertRow> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT id, target, rule, severity, value, threshold, message, started_at, resolved_at "
        + "FROM pgopt.alert_events " + (openOnly ? "WHERE resolved_at IS NULL " : "") + "ORDER BY started_at DESC LIMIT ?")) {
      ps.setInt(1, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new AlertRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), nullableDouble(rs, 5),
              nullableDouble(rs, 6), rs.getString(7), HistoryStore.instant(rs, 8).orElse(null),
              HistoryStore.instant(rs, 9).orElse(null)));
        }
      }
    }
    return out;
  }

  public static List<IncidentRow> incidents(Connection c, int limit) throws SQLException {
    List<IncidentRow> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT id, target, kind, severity, subject, details, detected_at, resolved_at "
        + "FROM pgopt.incidents ORDER BY detected_at DESC LIMIT ?");
         PreparedStatement actions = c.prepareStatement("SELECT at, action, pid, role, application, dry_run, outcome, detail "
             + "FROM pgopt.incident_actions WHERE incident_id = ? ORDER BY at, id")) {
      ps.setInt(1, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          List<ActionRow> acts = new ArrayList<>();
          actions.setString(1, rs.getString(1));
          try (ResultSet a = actions.executeQuery()) {
            while (a.next()) {
              int pid = a.getInt(3);
              acts.add(new ActionRow(HistoryStore.instant(a, 1).orElse(null), a.getString(2), a.wasNull() ? null : pid,
                  a.getString(4), a.getString(5), a.getBoolean(6), a.getString(7), a.getString(8)));
            }
          }
          out.add(new IncidentRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
              rs.getString(6), HistoryStore.instant(rs, 7).orElse(null), HistoryStore.instant(rs, 8).orElse(null), acts));
        }
      }
    }
    return out;
  }

  public static List<MaintenanceRow> maintenanceRuns(Connection c, int limit) throws SQLException {
    return maintenanceRuns(c, null, null, limit);
  }

  /** The newest runs; {@code target} and {@code tasks} narrow them when not null. */
  public static List<MaintenanceRow> maintenanceRuns(Connection c, String target, List<String> tasks, int limit)
      throws SQLException {
    List<MaintenanceRow> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT id, task, target, scheduled_for, started_at, finished_at, status, summary, instance "
        + "FROM pgopt.maintenance_runs WHERE (?::text IS NULL OR target = ?) AND (?::text[] IS NULL OR task = ANY (?::text[]))"
        + " ORDER BY started_at DESC LIMIT ?")) {
      ps.setString(1, target);
      ps.setString(2, target);
      java.sql.Array array = tasks == null ? null : c.createArrayOf("text", tasks.toArray());
      ps.setArray(3, array);
      ps.setArray(4, array);
      ps.setInt(5, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new MaintenanceRow(rs.getLong(1), rs.getString(2), rs.getString(3), HistoryStore.instant(rs, 4).orElse(null),
              HistoryStore.instant(rs, 5).orElse(null), HistoryStore.instant(rs, 6).orElse(null), rs.getString(7),
              rs.getString(8), rs.getString(9)));
        }
      }
    }
    return out;
  }

  public static Optional<String> state(Connection c, String target, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT value FROM pgopt.collector_state WHERE target = ? AND key = ?")) {
      ps.setString(1, target);
      ps.setString(2, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  private static Double nullableDouble(ResultSet rs, int col) throws SQLException {
    double v = rs.getDouble(col);
    return rs.wasNull() ? null : v;
  }
}
