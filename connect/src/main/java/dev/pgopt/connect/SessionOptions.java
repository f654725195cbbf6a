package dev.pgopt.connect;

import java.time.Duration;

/**
 * Limits on everything pgopt sends. The connect timeout, when not given, comes from the URL's {@code
 * connect_timeout} and then defaults to 10 s; every statement runs under {@code statement_timeout} (default 30 s).
 */
public record SessionOptions(Duration connectTimeout, Duration statementTimeout, Duration lockTimeout, String applicationName) {
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(5);

  public static SessionOptions defaults() {
    return new SessionOptions(null, DEFAULT_STATEMENT_TIMEOUT, DEFAULT_LOCK_TIMEOUT, "pgopt");
  }

  public SessionOptions withConnectTimeout(Duration d) {
    return new SessionOptions(d, statementTimeout, lockTimeout, applicationName);
  }

  public SessionOptions withStatementTimeout(Duration d) {
    return new SessionOptions(connectTimeout, d, lockTimeout, applicationName);
  }
}
