package dev.pgopt.client.route.internal;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Where a node's pool gets its connections. While the node is known to be down, a connection attempt waits here for
 * the health checker to see it back instead of failing: HikariCP backs off after each failed attempt (up to 5 s), so
 * an outage of a few seconds would otherwise leave the pool empty for seconds after the server accepts connections
 * again. Held attempts start the moment the node is seen up.
 */
public final class PoolConnector implements DataSource {
  /** Opens one physical connection. */
  @FunctionalInterface
  public interface Opener {
    Connection open() throws SQLException;
  }

  // Long: HikariCP doubles its back-off after every failed attempt, so each release of a held attempt costs a step.
  // Closing the pool interrupts a held attempt.
  private static final long HOLD_NANOS = TimeUnit.MINUTES.toNanos(10);

  private final Opener opener;
  private final Object lock = new Object();
  private volatile boolean down;
  private volatile int loginTimeoutSeconds;

  public PoolConnector(Opener opener) {
    this.opener = opener;
  }

  void nodeDown() {
    down = true;
  }

  void nodeUp() {
    if (down) {
      synchronized (lock) {
        down = false;
        lock.notifyAll();
      }
    }
  }

  @Override
  public Connection getConnection() throws SQLException {
    if (down) {
      awaitUp();
    }
    return opener.open();
  }

  private void awaitUp() throws SQLException {
    long deadline = System.nanoTime() + HOLD_NANOS;
    synchronized (lock) {
      while (down) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new SQLException("the node is down (no health check has reached it)", "08001");
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SQLException("interrupted while waiting for the node to come back", "08001", e);
        }
      }
    }
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("the pool connects with the node's credentials");
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {
    // pgjdbc logs through java.util.logging
  }

  @Override
  public void setLoginTimeout(int seconds) {
    loginTimeoutSeconds = seconds;
  }

  @Override
  public int getLoginTimeout() {
    return loginTimeoutSeconds;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    throw new SQLException("not a wrapper");
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return false;
  }
}
