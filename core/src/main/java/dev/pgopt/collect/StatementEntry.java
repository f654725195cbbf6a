package dev.pgopt.collect;

/**
 * One pg_stat_statements entry: the key pg_stat_statements itself uses (user, database, query id, top level) and
 * the normalized text.
 */
public record StatementEntry(long userId, long dbId, long queryId, boolean topLevel, String user, String query,
                             StatementCounters counters) {
  /** The identity of an entry across snapshots. */
  public record Key(long userId, long dbId, long queryId, boolean topLevel) {}

  public Key key() {
    return new Key(userId, dbId, queryId, topLevel);
  }
}
