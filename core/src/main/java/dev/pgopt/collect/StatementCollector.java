package dev.pgopt.collect;

import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/** Reads pg_stat_statements of the current database. Never resets it. */
public final class StatementCollector {
  private StatementCollector() {}

  /** The schema pg_stat_statements was created in, quoted for SQL; empty when it is not created here. */
  static Optional<String> extensionSchema(Connection c) throws SQLException {
    List<String> s = Sql.list(c, """
        SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
         WHERE e.extname = 'pg_stat_statements'""", rs -> rs.getString(1));
    return s.stream().findFirst();
  }

  /** The normalized text pg_stat_statements holds for {@code queryId} in this database. */
  public static Optional<String> queryText(Connection c, long queryId) throws SQLException, StatementStatisticsUnavailable {
    String schema = extensionSchema(c).orElseThrow(() -> new StatementStatisticsUnavailable(
        "pg_stat_statements is not created in this database, so --query-id cannot be looked up: pass the SQL text instead"));
    return Sql.list(c, """
        SELECT query FROM %s.pg_stat_statements
         WHERE queryid = ? AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         ORDER BY calls DESC LIMIT 1""".formatted(schema), rs -> rs.getString(1), queryId).stream().findFirst();
  }

  /** pg_stat_statements of the connected database, without pgopt's own statements ({@link Sql#isOwn}). */
  public static StatementSnapshot read(Connection c, int serverVersionNum, Clock clock)
      throws SQLException, StatementStatisticsUnavailable {
    String schema = extensionSchema(c).orElseThrow(() -> new StatementStatisticsUnavailable(
        "pg_stat_statements is not created in this database: add pg_stat_statements to shared_preload_libraries, "
            + "restart, and run CREATE EXTENSION pg_stat_statements (Neon and Supabase preload it; on RDS use the parameter group)"));
    boolean preloaded = Sql.one(c, "SELECT 'pg_stat_statements' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))",
        rs -> rs.getBoolean(1));
    if (!preloaded) {
      throw new StatementStatisticsUnavailable("pg_stat_statements is created but not loaded: add it to "
          + "shared_preload_libraries and restart the server");
    }
    String toplevel = serverVersionNum >= 140000 ? "s.toplevel" : "true";
    String readTime = serverVersionNum >= 170000 ? "s.shared_blk_read_time" : "s.blk_read_time";
    String writeTime = serverVersionNum >= 170000 ? "s.shared_blk_write_time" : "s.blk_write_time";
    long[] db = Sql.one(c, "SELECT oid::int8 FROM pg_database WHERE datname = current_database()", rs -> new long[] {rs.getLong(1)});
    String database = Sql.one(c, "SELECT current_database()", rs -> rs.getString(1));
    List<StatementEntry> entries = Sql.list(c, """
        SELECT s.userid::int8, s.dbid::int8, s.queryid, %s AS toplevel, r.rolname, s.query,
               s.calls, s.total_exec_time, s.rows, s.shared_blks_hit, s.shared_blks_read, s.temp_blks_read,
               s.temp_blks_written, %s AS read_ms, %s AS write_ms, s.wal_bytes::int8
          FROM %s.pg_stat_statements s LEFT JOIN pg_roles r ON r.oid = s.userid
         WHERE s.dbid = ? AND s.queryid IS NOT NULL
           AND s.query NOT LIKE '/* pgopt%%'""".formatted(toplevel, readTime, writeTime, schema),
        rs -> new StatementEntry(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getBoolean(4), rs.getString(5), rs.getString(6),
            new StatementCounters(rs.getLong(7), rs.getDouble(8), rs.getLong(9), rs.getLong(10), rs.getLong(11), rs.getLong(12),
                rs.getLong(13), rs.getDouble(14), rs.getDouble(15), rs.getLong(16))),
        db[0]);
    Timestamp reset = null;
    Long dealloc = null;
    if (serverVersionNum >= 140000) {
      Object[] info = Sql.one(c, "SELECT stats_reset, dealloc FROM %s.pg_stat_statements_info".formatted(schema),
          rs -> new Object[] {rs.getTimestamp(1), rs.getLong(2)});
      reset = (Timestamp) info[0];
      dealloc = (Long) info[1];
    }
    Long max = Sql.one(c, "SELECT current_setting('pg_stat_statements.max', true)::int8", rs -> Sql.nullableLong(rs, "current_setting"));
    return new StatementSnapshot(clock.instant(), database, db[0], serverVersionNum, reset == null ? null : reset.toInstant(),
        dealloc, max, entries);
  }
}
