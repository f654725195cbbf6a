package dev.pgopt.lifecycle;

import java.sql.SQLException;
import java.time.Duration;

/**
 * A step that takes a lock under {@code lock_timeout}, tried again when the timeout fires (SQLSTATE 55P03) after a
 * growing pause (250 ms doubling, at most 10 s): writers queue behind a waiting lock request, so each try is short and
 * the wait between tries lets them through. Other errors go through at once.
 */
final class LockRetry {
  /** The step; it must leave nothing changed when it fails. */
  @FunctionalInterface
  interface Step {
    void run() throws SQLException;
  }

  private final Duration lockTimeout;
  private final int attempts;

  LockRetry(Duration lockTimeout, int attempts) {
    this.lockTimeout = lockTimeout;
    this.attempts = attempts;
  }

  void run(Step step) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try {
        step.run();
        return;
      } catch (SQLException e) {
        if (!"55P03".equals(e.getSQLState())) {
          throw e;
        }
        if (attempt >= attempts) {
          throw new LifecycleException("a lock was not granted within " + lockTimeout.toMillis() + " ms in " + attempts
              + " attempts (a long transaction holds the table?); nothing changed by this step: " + e.getMessage(), e);
        }
        try {
          Thread.sleep(Math.min(10_000L, 250L << Math.min(attempt - 1, 6)));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new LifecycleException("interrupted while waiting for a lock", ie);
        }
      }
    }
  }
}
