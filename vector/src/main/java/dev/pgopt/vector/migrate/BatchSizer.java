package dev.pgopt.vector.migrate;

import java.time.Duration;

/**
 * Sizes backfill batches by time: each batch holds its rows' locks (and blocks writers to them) until it commits, and
 * with an HNSW index on the table an update costs an index insertion, so a fixed 5,000 rows took about 10 s per batch.
 * Starts at the maximum and scales each next batch to the target from the last one's time, between {@link #MIN_ROWS}
 * and the maximum.
 */
public final class BatchSizer {
  static final int MIN_ROWS = 10;
  private final int maxRows;
  private final long targetNanos;
  private int next;

  public BatchSizer(int maxRows, Duration target) {
    this.maxRows = maxRows;
    this.targetNanos = target.toNanos();
    this.next = maxRows;
  }

  /** Rows for the next batch. */
  public int next() {
    return next;
  }

  /** Records that a batch of {@code rows} took {@code nanos} (commit included). */
  public void took(int rows, long nanos) {
    if (rows <= 0) {
      return;
    }
    double scaled = nanos <= 0 ? maxRows : rows * (double) targetNanos / nanos;
    next = (int) Math.max(Math.min(maxRows, MIN_ROWS), Math.min(maxRows, Math.round(scaled)));
  }
}
