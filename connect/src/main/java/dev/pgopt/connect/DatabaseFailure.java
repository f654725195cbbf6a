package dev.pgopt.connect;

/**
 * pgopt could not connect to, or finish its work on, a database. The message is one line: what failed, where
 * (the masked target), and what to do next. It never contains the password.
 */
public final class DatabaseFailure extends Exception {
  /** Why, for callers that react differently (and for tests). */
  public enum Kind {
    UNKNOWN_HOST, CONNECTION_REFUSED, CONNECT_TIMEOUT, AUTHENTICATION, DATABASE_MISSING, TLS, UNSUPPORTED_SERVER,
    SERVER_UNAVAILABLE, STATEMENT_TIMEOUT, CONNECTION_LOST, PERMISSION, OTHER
  }

  private final Kind kind;

  public DatabaseFailure(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
