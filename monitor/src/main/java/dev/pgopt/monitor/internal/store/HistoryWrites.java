package dev.pgopt.monitor.internal.store;

import dev.pgopt.analyze.workload.StatementDelta;
import dev.pgopt.monitor.internal.alert.Severity;
import dev.pgopt.monitor.internal.collect.Series;
import dev.pgopt.monitor.internal.collect.SlowSnapshot;
import dev.pgopt.monitor.internal.incident.Incident;
import dev.pgopt.monitor.internal.incident.IncidentResponder;
import java.sql.PreparedStatement;
import java.sql.Types;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The rows the monitor buffers for the store, one factory per table. */
public final class HistoryWrites {
  private HistoryWrites() {}

  public static HistoryStore.Write samples(String target, Instant ts, Map<Series, Double> values) {
    List<Map.Entry<Series, Double>> rows = values.entrySet().stream()
        .filter(e -> e.getValue() != null && Double.isFinite(e.getValue())).toList();
    return samples(target, ts, rows);
  }

  private static HistoryStore.Write samples(String target, Instant ts, List<Map.Entry<Series, Double>> rows) {
    return write(rows.size(), halves(rows, part -> samples(target, ts, part)), c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO pgopt.samples (target, metric, ts, value) VALUES (?, ?, ?, ?)")) {
        for (Map.Entry<Series, Double> e : rows) {
          ps.setString(1, target);
          ps.setString(2, e.getKey().key());
          ps.setTimestamp(3, HistoryStore.ts(ts));
          ps.setDouble(4, e.getValue());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    });
  }

  public static HistoryStore.Write statements(String target, Instant ts, double windowSeconds, List<StatementDelta> deltas) {
    // one text per queryid: the same statement run by two roles, or top-level and nested, shares its queryid, and an
    // upsert cannot touch one row twice
    Map<Long, StatementDelta> texts = new java.util.LinkedHashMap<>();
    deltas.forEach(d -> texts.putIfAbsent(d.entry().queryId(), d));
    return write(deltas.size() * 2, halves(deltas, part -> statements(target, ts, windowSeconds, part)), c -> {
      try (PreparedStatement ps = c.prepareStatement("""
          INSERT INTO pgopt.statement_stats (target, ts, window_seconds, queryid, userid, dbid, toplevel, calls, total_ms,
                 rows, shared_blks_hit, shared_blks_read, temp_blks, wal_bytes)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""");
           PreparedStatement text = c.prepareStatement("""
          INSERT INTO pgopt.statement_texts (target, queryid, query, role, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
          ON CONFLICT (target, queryid) DO UPDATE SET last_seen = excluded.last_seen""")) {
        for (StatementDelta d : deltas) {
          var k = d.counters();
          ps.setString(1, target);
          ps.setTimestamp(2, HistoryStore.ts(ts));
          ps.setDouble(3, windowSeconds);
          ps.setLong(4, d.entry().queryId());
          ps.setLong(5, d.entry().userId());
          ps.setLong(6, d.entry().dbId());
          ps.setBoolean(7, d.entry().topLevel());
          ps.setLong(8, k.calls());
          ps.setDouble(9, k.totalExecMs());
          ps.setLong(10, k.rows());
          ps.setLong(11, k.sharedBlksHit());
          ps.setLong(12, k.sharedBlksRead());
          ps.setLong(13, k.tempBlks());
          ps.setLong(14, k.walBytes());
          ps.addBatch();
        }
        for (StatementDelta d : texts.values()) {
          text.setString(1, target);
          text.setLong(2, d.entry().queryId());
          String q = d.entry().query();
          text.setString(3, q.length() > 4000 ? q.substring(0, 4000) : q);
          text.setString(4, d.entry().user());
          text.setTimestamp(5, HistoryStore.ts(ts));
          text.setTimestamp(6, HistoryStore.ts(ts));
          text.addBatch();
        }
        ps.executeBatch();
        text.executeBatch();
      }
    });
  }

  public static HistoryStore.Write tables(String target, Instant ts, List<SlowSnapshot.TableRow> tables) {
    return write(tables.size(), halves(tables, part -> tables(target, ts, part)), c -> {
      try (PreparedStatement ps = c.prepareStatement("""
          INSERT INTO pgopt.table_stats (target, ts, schema_name, table_name, live_tuples, dead_tuples, bytes, seq_scan, idx_scan)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
        for (SlowSnapshot.TableRow t : tables) {
          ps.setString(1, target);
          ps.setTimestamp(2, HistoryStore.ts(ts));
          ps.setString(3, t.schema());
          ps.setString(4, t.name());
          ps.setLong(5, t.liveTuples());
          ps.setLong(6, t.deadTuples());
          ps.setLong(7, t.bytes());
          ps.setLong(8, t.sequentialScans());
          ps.setLong(9, t.indexScans());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    });
  }

  public static HistoryStore.Write state(String target, String key, String value, Instant at) {
    return write(1, c -> {
      try (PreparedStatement ps = c.prepareStatement("""
          INSERT INTO pgopt.collector_state (target, key, value, updated_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (target, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at""")) {
        ps.setString(1, target);
        ps.setString(2, key);
        ps.setString(3, value);
        ps.setTimestamp(4, HistoryStore.ts(at));
        ps.executeUpdate();
      }
    });
  }

  public static HistoryStore.Write alertOpened(String id, String target, String rule, Severity severity, Double value,
                                               Double threshold, String message, Instant startedAt) {
    return write(1, c -> {
      try (PreparedStatement ps = c.prepareStatement("""
          INSERT INTO pgopt.alert_events (id, target, rule, severity, value, threshold, message, started_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, value = excluded.value,
             threshold = excluded.threshold, message = excluded.message""")) {
        ps.setString(1, id);
        ps.setString(2, target);
        ps.setString(3, rule);
        ps.setString(4, severity.json());
        setDouble(ps, 5, value);
        setDouble(ps, 6, threshold);
        ps.setString(7, message);
        ps.setTimestamp(8, HistoryStore.ts(startedAt));
        ps.executeUpdate();
      }
    });
  }

  public static HistoryStore.Write alertResolved(String id, Instant at) {
    return resolved("alert_events", id, at);
  }

  public static HistoryStore.Write incidentOpened(String id, String target, Incident.Kind kind, Severity severity, String subject,
                                                  String details, Instant at) {
    return write(1, c -> {
      try (PreparedStatement ps = c.prepareStatement("""
          INSERT INTO pgopt.incidents (id, target, kind, severity, subject, details, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (id) DO NOTHING""")) {
        ps.setString(1, id);
        ps.setString(2, target);
        ps.setString(3, kind.json());
        ps.setString(4, severity.json());
        ps.setString(5, subject);
        ps.setString(6, details);
        ps.setTimestamp(7, HistoryStore.ts(at));
        ps.executeUpdate();
      }
    });
  }

  public static HistoryStore.Write incidentResolved(String id, Instant at) {
    return resolved("incidents", id, at);
  }

  private static HistoryStore.Write resolved(String table, String id, Instant at) {
    return write(1, c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE pgopt." + table + " SET resolved_at = ? WHERE id = ?")) {
        ps.setTimestamp(1, HistoryStore.ts(at));
        ps.setString(2, id);
        ps.executeUpdate();
      }
    });
  }

  public static HistoryStore.Write incidentAction(String incidentId, String target, Instant at, String action, Integer pid,
                                                  String role, String application, boolean dryRun,
                                                  IncidentResponder.Outcome outcome,
                                                  String detail) {
    return write(1, c -> {
      try (PreparedStatement ps = c.prepareStatement("""
          INSERT INTO pgopt.incident_actions (incident_id, target, at, action, pid, role, application, dry_run, outcome, detail)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
        ps.setString(1, incidentId);
        ps.setString(2, target);
        ps.setTimestamp(3, HistoryStore.ts(at));
        ps.setString(4, action);
        if (pid == null) {
          ps.setNull(5, Types.INTEGER);
        } else {
          ps.setInt(5, pid);
        }
        ps.setString(6, role);
        ps.setString(7, application);
        ps.setBoolean(8, dryRun);
        ps.setString(9, outcome.json());
        ps.setString(10, detail);
        ps.executeUpdate();
      }
    });
  }

  public static HistoryStore.Write audit(Instant at, String token, String remote, String method, String path, int status,
                                         String detail) {
    return write(1, c -> {
      try (PreparedStatement ps = c.prepareStatement("""
          INSERT INTO pgopt.api_audit (at, token, remote, method, path, status, detail) VALUES (?, ?, ?, ?, ?, ?, ?)""")) {
        ps.setTimestamp(1, HistoryStore.ts(at));
        ps.setString(2, token);
        ps.setString(3, remote);
        ps.setString(4, method);
        ps.setString(5, path);
        ps.setInt(6, status);
        ps.setString(7, detail);
        ps.executeUpdate();
      }
    });
  }

  private static void setDouble(PreparedStatement ps, int i, Double v) throws java.sql.SQLException {
    if (v == null || !Double.isFinite(v)) {
      ps.setNull(i, Types.DOUBLE);
    } else {
      ps.setDouble(i, v);
    }
  }

  @FunctionalInterface
  private interface Body {
    void apply(java.sql.Connection c) throws java.sql.SQLException;
  }

  private static HistoryStore.Write write(int rows, Body body) {
    return write(rows, List::of, body);
  }

  /** Splits a list write into two halves, so the store can find the one row it cannot write. */
  private static <T> java.util.function.Function<HistoryStore.Write, List<HistoryStore.Write>> halves(List<T> rows,
      java.util.function.Function<List<T>, HistoryStore.Write> make) {
    return self -> rows.size() < 2 ? List.of(self)
        : List.of(make.apply(rows.subList(0, rows.size() / 2)), make.apply(rows.subList(rows.size() / 2, rows.size())));
  }

  private static HistoryStore.Write write(int rows, java.util.function.Function<HistoryStore.Write, List<HistoryStore.Write>> splitter,
                                          Body body) {
    return new HistoryStore.Write() {
      @Override
      public int rows() {
        return Math.max(1, rows);
      }

      @Override
      public void apply(java.sql.Connection c) throws java.sql.SQLException {
        body.apply(c);
      }

      @Override
      public List<HistoryStore.Write> split() {
        return splitter.apply(this);
      }
    };
  }
}
