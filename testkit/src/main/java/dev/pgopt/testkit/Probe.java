package dev.pgopt.testkit;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Reading the server directly in tests, to compare pgopt's answers with the catalogs, and waiting for a state. */
public final class Probe {
  private Probe() {}

  /** The first column of the first row, as a number. */
  public static double number(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      if (!rs.next()) {
        throw new SQLException("no row from: " + sql);
      }
      return rs.getDouble(1);
    }
  }

  /** A count; 64-bit ids such as queryid lose precision here: read them with {@link #text}. */
  public static long count(Connection c, String sql) throws SQLException {
    return (long) number(c, sql);
  }

  public static String text(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      if (!rs.next()) {
        throw new SQLException("no row from: " + sql);
      }
      return rs.getString(1);
    }
  }

  /** Whether the query returns a row; errors fail the test. */
  public static boolean exists(Connection c, String sql) {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return rs.next();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Polls until the condition holds; fails after 30 s. For server state that settles asynchronously. */
  public static void waitUntil(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached within 30 s");
      }
      Thread.sleep(50);
    }
  }
}
