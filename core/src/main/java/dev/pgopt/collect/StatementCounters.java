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

  public long tempBlks() {
    return tempBlksRead + tempBlksWritten;
  }

  /** Whether every counter is at least the one in {@code earlier}: the entry was not reset or re-created in between. */
  public boolean continues(StatementCounters earlier) {
    return calls >= earlier.calls && totalExecMs >= earlier.totalExecMs && sharedBlksRead >= earlier.sharedBlksRead;
  }
}
