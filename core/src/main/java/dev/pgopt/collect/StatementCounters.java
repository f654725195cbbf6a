package dev.pgopt.collect;

/** The cumulative counters of one pg_stat_statements entry (times in milliseconds). */
public record StatementCounters(long calls, double totalExecMs, long rows, long sharedBlksHit, long sharedBlksRead,
                                long tempBlksRead, long tempBlksWritten, double blkReadMs, double blkWriteMs, long walBytes) {

  public static final StatementCounters ZERO = new StatementCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  public StatementCounters minus(StatementCounters o) {
    return new StatementCounters(calls - o.calls, totalExecMs - o.totalExecMs, rows - o.rows, sharedBlksHit - o.sharedBlksHit,
        sharedBlksRead - o.sharedBlksRead, tempBlksRead - o.tempBlksRead, tempBlksWritten - o.tempBlksWritten,
        blkReadMs - o.blkReadMs, blkWriteMs - o.blkWriteMs, walBytes - o.walBytes);
  }

  public double meanExecMs() {
    return calls == 0 ? 0 : totalExecMs / calls;
  }

  /**
   * Rows a call returns on average, between 1 and 10,000: what pgopt plans {@code LIMIT $n} with, since a generic plan
   * costs an unknown LIMIT as a tenth of the rows.
   */
  public long typicalRows() {
    return calls == 0 ? 1 : Math.max(1, Math.min(10_000, Math.round((double) rows / calls)));
  }

  public long tempBlks() {
    return tempBlksRead + tempBlksWritten;
  }

  /** Whether every counter is at least the one in {@code earlier}: the entry was not reset or re-created in between. */
  public boolean continues(StatementCounters earlier) {
    return calls >= earlier.calls && totalExecMs >= earlier.totalExecMs && sharedBlksRead >= earlier.sharedBlksRead;
  }
}
