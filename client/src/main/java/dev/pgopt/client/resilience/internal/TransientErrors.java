package dev.pgopt.client.resilience.internal;

import dev.pgopt.client.CommitOutcomeUnknownException;
import java.sql.SQLException;

/** Which failures are worth another attempt, by SQLState: never by message text. */
public final class TransientErrors {
  private TransientErrors() {}

  /**
   * The server or the path to it went away: class 08 (connection exception), 57P01 admin shutdown, 57P02 crash
   * shutdown, 57P03 cannot connect now (starting up or in recovery).
   */
  public static boolean isConnectionLoss(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SQLException e && e.getSQLState() != null) {
        String s = e.getSQLState();
        if (s.startsWith("08") || s.equals("57P01") || s.equals("57P02") || s.equals("57P03")) {
          return true;
        }
      }
    }
    return false;
  }

  /** Connection loss, serialization failure (40001) or deadlock (40P01); never an unknown commit outcome. */
  public static boolean isRetryable(Throwable t) {
    if (t instanceof CommitOutcomeUnknownException) {
      return false;
    }
    if (t instanceof SQLException e && ("40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState()))) {
      return true;
    }
    return isConnectionLoss(t);
  }
}
