package dev.pgopt.client.internal;

import dev.pgopt.client.CommitOutcomeUnknownException;
import dev.pgopt.client.Committed;
import dev.pgopt.client.ConsistencySession;
import dev.pgopt.client.ConsistencyToken;
import dev.pgopt.client.SqlFunction;
import dev.pgopt.client.observe.internal.CurrentLabel;
import dev.pgopt.client.observe.internal.StatementObserver;
import dev.pgopt.client.resilience.internal.Retrier;
import dev.pgopt.client.resilience.internal.TransientErrors;
import dev.pgopt.client.route.internal.Intent;
import dev.pgopt.client.route.internal.RoutedConnection;
import dev.pgopt.client.route.internal.Router;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Runs a callback as one read or one transaction: routed, labelled for observation, committed (reading the commit's
 * WAL position), rolled back on failure and retried on transient errors. A connection lost during COMMIT is never
 * retried.
 */
public final class WorkRunner {
  private final Router router;
  private final StatementObserver observer;
  private final Retrier readRetrier;
  private final Retrier txRetrier;
  private final Supplier<ConsistencySession> session;
  // PgBouncer in transaction mode drops session settings between transactions: set statement_timeout per transaction
  private final Duration pgBouncerStatementTimeout;

  public WorkRunner(Router router, StatementObserver observer, Retrier readRetrier, Retrier txRetrier,
      Supplier<ConsistencySession> session, Duration pgBouncerStatementTimeout) {
    this.router = router;
    this.observer = observer;
    this.readRetrier = readRetrier;
    this.txRetrier = txRetrier;
    this.session = session;
    this.pgBouncerStatementTimeout = pgBouncerStatementTimeout;
  }

  public <T> T read(String label, ConsistencyToken token, SqlFunction<T> work) throws SQLException {
    return readRetrier.call(() -> attempt(label, Intent.READ, token, work, null));
  }

  public <T> Committed<T> tx(String label, SqlFunction<T> work) throws SQLException {
    return txRetrier.call(() -> {
      ConsistencyToken[] position = new ConsistencyToken[1];
      T value = attempt(label, Intent.WRITE, null, work, position);
      return new Committed<>(value, position[0]);
    });
  }

  private <T> T attempt(String label, Intent intent, ConsistencyToken token, SqlFunction<T> work,
      ConsistencyToken[] committedAt) throws SQLException {
    String previousLabel = observer == null ? null : CurrentLabel.set(label);
    RoutedConnection c = new RoutedConnection(router, observer, intent, session.get(), token);
    try {
      T result;
      if (intent == Intent.WRITE) {
        c.setAutoCommit(false);
        if (pgBouncerStatementTimeout != null) {
          try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL statement_timeout = " + pgBouncerStatementTimeout.toMillis());
          }
        }
        result = work.apply(c);
        committedAt[0] = commit(c);
      } else {
        result = work.apply(c);
      }
      return result;
    } catch (SQLException e) {
      if (!(e instanceof CommitOutcomeUnknownException)) {
        rollbackQuietly(c);
      }
      if (TransientErrors.isConnectionLoss(e) && c.node() != null) {
        c.node().connectionLost(e);
        router.refresh();
      }
      throw e;
    } finally {
      closeQuietly(c);
      if (observer != null) {
        CurrentLabel.set(previousLabel);
      }
    }
  }

  private static ConsistencyToken commit(RoutedConnection c) throws SQLException {
    try {
      return c.commitReadingPosition();
    } catch (SQLException e) {
      if (TransientErrors.isConnectionLoss(e)) {
        throw new CommitOutcomeUnknownException("the connection to " + c.node() + " broke during COMMIT: the"
            + " transaction may or may not have been applied; check before repeating it", e);
      }
      throw e;
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      if (!c.getAutoCommit()) {
        c.rollback();
      }
    } catch (SQLException ignored) {
      // the connection is broken; the server rolls back on its own
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // closing a broken connection: the pool discards it
    }
  }
}
