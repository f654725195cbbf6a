package dev.pgopt.analyze.pooler;

import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * What the server behind a pooler allows: connection slots and the timeouts a pooler's own must agree with
 * (milliseconds, 0 when off), as a new session gets them ({@code reset_val}: not this session's {@code SET LOCAL}).
 *
 * @param clientBackends client connections open now, the pooler's and everyone else's
 */
public record ServerLimits(int maxConnections, int superuserReserved, int reserved, long idleSessionTimeoutMs,
                           long idleInTransactionTimeoutMs, long statementTimeoutMs, int clientBackends) {

  /** Slots ordinary roles can use. */
  public int available() {
    return Math.max(1, maxConnections - superuserReserved - reserved);
  }

  /** Reads them with any role (the settings are readable by all; {@code pg_stat_activity} counts every backend). */
  public static ServerLimits read(Connection c) throws SQLException {
    return Sql.one(c, """
        SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int,
               coalesce(current_setting('reserved_connections', true)::int, 0),
               coalesce((SELECT reset_val::bigint FROM pg_settings WHERE name = 'idle_session_timeout'), 0),
               (SELECT reset_val::bigint FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout'),
               (SELECT reset_val::bigint FROM pg_settings WHERE name = 'statement_timeout'),
               (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int""",
        rs -> new ServerLimits(rs.getInt(1), rs.getInt(2), rs.getInt(3), rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getInt(7)));
  }
}
