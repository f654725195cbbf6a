package dev.pgopt.client.route.internal;

/**
 * The primary's WAL insert positions as sampled by the health checker, oldest first, in a fixed ring: enough to say
 * how long ago the primary passed a given position.
 */
final class PrimaryPositions {
  private final long[] lsns;
  private final long[] times;
  private int size;
  private int head;

  PrimaryPositions(int capacity) {
    lsns = new long[capacity];
    times = new long[capacity];
  }

  void record(long lsn, long nanos) {
    if (size > 0 && lsns[index(size - 1)] == lsn) {
      return; // idle primary: keep the first time it was seen here
    }
    if (size == lsns.length) {
      head = (head + 1) % lsns.length;
      size--;
    }
    lsns[index(size)] = lsn;
    times[index(size)] = nanos;
    size++;
  }

  long latest() {
    return size == 0 ? -1 : lsns[index(size - 1)];
  }

  /** 0 when {@code replayed} is at or past the latest sample; else the age of the oldest sample beyond it. */
  long millisBehind(long replayed, long nowNanos) {
    if (size == 0 || replayed >= latest()) {
      return 0;
    }
    for (int i = 0; i < size; i++) {
      if (lsns[index(i)] > replayed) {
        return (nowNanos - times[index(i)]) / 1_000_000;
      }
    }
    return 0;
  }

  private int index(int i) {
    return (head + i) % lsns.length;
  }
}
