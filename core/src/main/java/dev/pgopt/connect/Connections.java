package dev.pgopt.connect;

import dev.pgopt.connect.internal.JdbcConnector;
import java.sql.Connection;

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
}
