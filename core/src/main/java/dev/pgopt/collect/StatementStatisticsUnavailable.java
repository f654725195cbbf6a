package dev.pgopt.collect;

/** pg_stat_statements cannot be read in this database; the message says how to enable it. */
public final class StatementStatisticsUnavailable extends Exception {
  public StatementStatisticsUnavailable(String message) {
    super(message);
  }
}
