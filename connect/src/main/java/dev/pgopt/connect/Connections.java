package dev.pgopt.connect;

import dev.pgopt.connect.internal.JdbcConnector;
import java.sql.Connection;
import java.util.Properties;

/**
 * Plain JDBC connections to a target, for work that writes (loading the sample dataset, running a workload).
 * Read-only analysis goes through {@link Session}, which adds per-transaction timeouts.
 */
public final class Connections {
  private Connections() {}

  /** Connects with the target's settings and the connect timeout of {@code options}; failures are one line. */
  public static Connection open(DatabaseTarget target, SessionOptions options) throws DatabaseFailure {
    return JdbcConnector.connect(target, options);
  }

  /**
   * As {@link #open(DatabaseTarget, SessionOptions)}, with pgjdbc properties of the caller's laid over pgopt's (a load
   * test's {@code prepareThreshold}, say: pgopt's own sessions plan every statement with its values).
   */
  public static Connection open(DatabaseTarget target, SessionOptions options, java.util.Map<String, String> driverProperties)
      throws DatabaseFailure {
    return JdbcConnector.connect(target, options, driverProperties);
  }

  /** pgjdbc's URL for one of the target's endpoints, for callers that connect (or pool) per host. */
  public static String jdbcUrl(DatabaseTarget target, Endpoint endpoint) {
    return JdbcConnector.jdbcUrl(target, endpoint);
  }

  /** pgjdbc's properties for the target, password included: hand them to a driver or pool, never print them. */
  public static Properties jdbcProperties(DatabaseTarget target, SessionOptions options) {
    return JdbcConnector.properties(target, options);
  }
}
