package dev.pgopt.connect;

import dev.pgopt.connect.internal.FailureClassifier;
import dev.pgopt.connect.internal.JdbcConnector;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * One connection to a target. All work runs in short read-only transactions that set {@code statement_timeout}
 * and {@code lock_timeout} locally, so limits hold behind transaction-pooling proxies (PgBouncer, Supavisor, RDS
 * Proxy) where session-level {@code SET} would leak or be lost.
 */
public final class Session implements AutoCloseable {
  /** Work done inside one transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  private final DatabaseTarget target;
  private final SessionOptions options;
  private final Connection connection;
  private final int serverVersionNum;
  private final int backendPid;
  private final boolean commit;

  private Session(DatabaseTarget target, SessionOptions options, Connection connection, int serverVersionNum, int backendPid,
                  boolean commit) {
    this.target = target;
    this.options = options;
    this.connection = connection;
    this.serverVersionNum = serverVersionNum;
    this.backendPid = backendPid;
    this.commit = commit;
  }

  /**
   * Like {@link #open}, but each read-only transaction ends with COMMIT rather than ROLLBACK (nothing is written either
   * way). A monitor that samples every few seconds would otherwise show up in {@code pg_stat_database.xact_rollback}
   * as a steady error rate on an idle database.
   */
  public static Session openCommitting(DatabaseTarget target, SessionOptions options) throws DatabaseFailure {
    Session s = open(target, options);
    return new Session(s.target, s.options, s.connection, s.serverVersionNum, s.backendPid, true);
  }

  /** Connects, and refuses servers older than PostgreSQL 13 before sending any query. */
  public static Session open(DatabaseTarget target, SessionOptions options) throws DatabaseFailure {
    Connection c = JdbcConnector.connect(target, options);
    try {
      // the version the server announced at startup: no query needed, so even a server we cannot talk to is named
      DatabaseMetaData meta = c.getMetaData();
      int major = meta.getDatabaseMajorVersion();
      int announced = major >= 10 ? major * 10000 + meta.getDatabaseMinorVersion()
          : major * 10000 + meta.getDatabaseMinorVersion() * 100;
      if (announced < 130000) {
        throw new DatabaseFailure(DatabaseFailure.Kind.UNSUPPORTED_SERVER, "unsupported server version "
            + meta.getDatabaseProductVersion() + " at " + target.display()
            + ": pgopt needs PostgreSQL 13 or newer (older versions are past end of life); upgrade the server", null);
      }
      c.setAutoCommit(false);
      c.setReadOnly(true);
      Session probe = new Session(target, options, c, announced, 0, false);
      int[] info = probe.readOnly(conn -> Sql.one(conn, "SELECT current_setting('server_version_num')::int, pg_backend_pid()",
          rs -> new int[] {rs.getInt(1), rs.getInt(2)}));
      return new Session(target, options, c, info[0], info[1], false);
    } catch (SQLException e) {
      closeQuietly(c);
      throw FailureClassifier.classify(e, target, options);
    } catch (DatabaseFailure e) {
      closeQuietly(c);
      throw e;
    }
  }

  /** Runs {@code work} in a read-only transaction under the session's timeouts; rolls back (or commits, see {@link #openCommitting}). */
  public <T> T readOnly(Work<T> work) throws DatabaseFailure {
    boolean done = false;
    try {
      try (PreparedStatement ps = connection.prepareStatement(
          Sql.OWN_MARK + "SELECT set_config('statement_timeout', ?, true), set_config('lock_timeout', ?, true)")) {
        ps.setString(1, options.statementTimeout().toMillis() + "ms");
        ps.setString(2, options.lockTimeout().toMillis() + "ms");
        ps.execute();
      }
      T result = work.run(connection);
      if (commit) {
        connection.commit();
        done = true;
      }
      return result;
    } catch (SQLException e) {
      throw FailureClassifier.classify(e, target, options);
    } finally {
      try {
        if (!done) {
          connection.rollback();
        }
      } catch (SQLException ignored) {
        // the connection is broken; the next call reports it
      }
    }
  }

  public DatabaseTarget target() {
    return target;
  }

  /** e.g. 150004 for 15.4. */
  public int serverVersionNum() {
    return serverVersionNum;
  }

  /** Our own backend, to leave out of activity reports. */
  public int backendPid() {
    return backendPid;
  }

  @Override
  public void close() {
    closeQuietly(connection);
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // nothing useful to do when closing fails
    }
  }
}
