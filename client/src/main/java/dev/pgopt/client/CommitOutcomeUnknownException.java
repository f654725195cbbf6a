package dev.pgopt.client;

import java.sql.SQLTransientConnectionException;

/**
 * The connection broke while COMMIT was in flight: the transaction may or may not have been applied. It is never
 * retried automatically, since that could apply it twice; the application decides (e.g. by checking for its row).
 * SQLState 08007 is the standard "transaction resolution unknown".
 */
public final class CommitOutcomeUnknownException extends SQLTransientConnectionException {
  public CommitOutcomeUnknownException(String message, Throwable cause) {
    super(message, "08007", cause);
  }
}
