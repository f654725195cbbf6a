package dev.pgopt.monitor.internal.collect;

import dev.pgopt.connect.Sql;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The catalog queries behind both collectors. Each starts with {@link #MARK} so pgopt can leave its own statements out
 * of the pg_stat_statements reports it serves; each runs inside a {@link dev.pgopt.connect.Session} transaction with a
 * statement timeout.
 */
public final class CollectorQueries {
  /** Leading comment of every monitor query; pg_stat_statements keeps it in the text it stores. */
  public static final String MARK = "/* pgopt:monitor */";

  private CollectorQueries() {}

  /** @param own the monitor's own backends on this target, marked so nothing acts on them */
  static List<ActivitySnapshot.SessionRow> sessions(Connection c, OwnSessions own) throws SQLException {
    return Sql.list(c, MARK + """
         SELECT a.pid, a.usename, a.application_name, a.client_addr::text AS client, a.state, a.wait_event_type,
                a.wait_event, a.backend_type, a.xact_start, a.query_start, a.state_change,
                CASE WHEN a.wait_event_type = 'Lock' THEN pg_blocking_pids(a.pid) END AS blocked_by,
                coalesce(r.rolsuper, false) AS superuser, left(a.query, 1000) AS query, a.datname
           FROM pg_stat_activity a LEFT JOIN pg_roles r ON r.oid = a.usesysid
          WHERE a.pid <> pg_backend_pid()""", rs -> new ActivitySnapshot.SessionRow(rs.getInt(1), rs.getString(2),
        rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
        instant(rs, 9), instant(rs, 10), instant(rs, 11), ints(rs.getArray(12)), rs.getBoolean(13), rs.getString(14),
        rs.getString(15), own.contains(rs.getInt(1))));
  }

  record DatabaseFacts(ActivitySnapshot.DatabaseCounters counters, int maxConnections, int reserved, boolean inRecovery,
                       long xidAge) {}

  static DatabaseFacts database(Connection c) throws SQLException {
    return Sql.one(c, MARK + """
         SELECT d.xact_commit, d.xact_rollback, d.blks_hit, d.blks_read, d.deadlocks, d.temp_bytes, d.tup_returned,
                d.tup_fetched, d.tup_inserted, d.tup_updated, d.tup_deleted, d.stats_reset,
                current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int,
                pg_is_in_recovery(), (SELECT max(age(datfrozenxid)) FROM pg_database WHERE datallowconn)
           FROM pg_stat_database d WHERE d.datname = current_database()""", rs -> new DatabaseFacts(
        new ActivitySnapshot.DatabaseCounters(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
            rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getLong(11), instant(rs, 12)),
        rs.getInt(13), rs.getInt(14), rs.getBoolean(15), rs.getLong(16)));
  }

  static List<ActivitySnapshot.ReplicaRow> replicas(Connection c) throws SQLException {
    return Sql.list(c, MARK + """
         SELECT coalesce(nullif(application_name, ''), client_addr::text, 'pid ' || pid), client_addr::text, state,
                sync_state, extract(epoch FROM replay_lag)::float8,
                pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::int8
           FROM pg_stat_replication""", rs -> new ActivitySnapshot.ReplicaRow(rs.getString(1), rs.getString(2),
        rs.getString(3), rs.getString(4), nullableDouble(rs, 5), nullableLong(rs, 6)));
  }

  /** On a standby: seconds behind (0 when caught up, so an idle primary is not "lag") and the WAL receiver status. */
  static Object[] standby(Connection c) throws SQLException {
    return Sql.one(c, MARK + """
         SELECT CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
                     ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END::float8,
                (SELECT status FROM pg_stat_wal_receiver)""", rs -> new Object[] {nullableDouble(rs, 1),
        rs.getString(2)});
  }

  static List<SlowSnapshot.TableRow> tables(Connection c) throws SQLException {
    return Sql.list(c, MARK + """
         SELECT s.schemaname, s.relname, s.n_live_tup, s.n_dead_tup, s.n_mod_since_analyze, s.seq_scan,
                coalesce(s.idx_scan, 0), c.relpages::int8 * current_setting('block_size')::int8
                  + coalesce((SELECT t.relpages::int8 FROM pg_class t WHERE t.oid = c.reltoastrelid), 0)
                    * current_setting('block_size')::int8,
                greatest(s.last_vacuum, s.last_autovacuum), greatest(s.last_analyze, s.last_autoanalyze)
           FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid""", rs -> new SlowSnapshot.TableRow(
        rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7),
        rs.getLong(8), instant(rs, 9), instant(rs, 10)));
  }

  static List<SlowSnapshot.IndexRow> indexes(Connection c) throws SQLException {
    // constraint indexes by a hash join: pg_constraint has no index on conindid, and a per-index EXISTS would scan it
    // once per index (30,000 indexes × 10,000 constraints on a wide schema)
    return Sql.list(c, MARK + """
         SELECT s.schemaname, s.relname, s.indexrelname, s.idx_scan,
                c.relpages::int8 * current_setting('block_size')::int8, i.indisunique, k.conindid IS NOT NULL,
                i.indisvalid
           FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
           JOIN pg_class c ON c.oid = s.indexrelid
           LEFT JOIN (SELECT DISTINCT conindid FROM pg_constraint WHERE conindid <> 0) k ON k.conindid = s.indexrelid""",
        rs -> new SlowSnapshot.IndexRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5),
            rs.getBoolean(6), rs.getBoolean(7), rs.getBoolean(8)));
  }

  static long databaseBytes(Connection c) throws SQLException {
    return Sql.one(c, MARK + " SELECT pg_database_size(current_database())", rs -> rs.getLong(1));
  }

  static List<SlowSnapshot.SlotRow> slots(Connection c) throws SQLException {
    return Sql.list(c, MARK + """
         SELECT slot_name, slot_type, active,
                CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::int8 END
           FROM pg_replication_slots""", rs -> new SlowSnapshot.SlotRow(rs.getString(1), rs.getString(2),
        rs.getBoolean(3), nullableLong(rs, 4)));
  }

  private static Double nullableDouble(ResultSet rs, int column) throws SQLException {
    double v = rs.getDouble(column);
    return rs.wasNull() ? null : v;
  }

  private static Long nullableLong(ResultSet rs, int column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : v;
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }

  private static List<Integer> ints(Array array) throws SQLException {
    if (array == null) {
      return List.of();
    }
    List<Integer> out = new ArrayList<>();
    for (Object o : (Object[]) array.getArray()) {
      out.add(((Number) o).intValue());
    }
    return List.copyOf(out);
  }
}
