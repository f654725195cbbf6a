package dev.pgopt.load.internal;

import java.time.Duration;

/**
 * When each request of an open-loop run is due: evenly spaced ({@code start + i / rate}) or, for Poisson arrivals,
 * with exponentially distributed gaps of mean {@code 1 / rate} (independent users: bursts and lulls, as pgbench
 * {@code -R} schedules them). The first
 * {@code warmup} is not measured; no request is due at or after the end of the measured window; requests still
 * waiting {@code drainLimit} after that end are not sent.
 */
public final class RequestClock {
  private final boolean poisson;
  private final java.util.SplittableRandom gaps;
  private final java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();
  private double poissonAt;
  private long poissonInWindow;
  private final long start;
  private final double intervalNanos;
  private final long measureStart;
  private final long measureEnd;
  private final long drainEnd;

  public RequestClock(long startNanos, double ratePerSecond, Duration warmup, Duration duration, Duration drainLimit) {
    this(startNanos, ratePerSecond, warmup, duration, drainLimit, false, 0);
  }

  public RequestClock(long startNanos, double ratePerSecond, Duration warmup, Duration duration, Duration drainLimit,
      boolean poisson, long seed) {
    this.poisson = poisson;
    this.gaps = new java.util.SplittableRandom(seed);
    this.poissonAt = startNanos;
    this.start = startNanos;
    this.intervalNanos = 1e9 / ratePerSecond;
    this.measureStart = startNanos + warmup.toNanos();
    this.measureEnd = measureStart + duration.toNanos();
    this.drainEnd = measureEnd + drainLimit.toNanos();
  }

  public long start() {
    return start;
  }

  /** The due time of the next request; thread-safe. */
  public long nextDue() {
    if (!poisson) {
      return due(next.getAndIncrement());
    }
    synchronized (this) {
      long due = (long) poissonAt;
      poissonAt += -Math.log(1 - gaps.nextDouble()) * intervalNanos;
      if (measured(due)) {
        poissonInWindow++;
      }
      return due;
    }
  }

  public long due(long request) {
    return start + (long) Math.floor(request * intervalNanos);
  }

  public boolean beforeEnd(long due) {
    return due - measureEnd < 0;
  }

  public boolean measured(long due) {
    return due - measureStart >= 0 && due - measureEnd < 0;
  }

  /** The schedule ended and {@code now} is past the drain limit: what is still waiting is not sent. */
  public boolean drainOver(long now) {
    return now - drainEnd >= 0;
  }

  /** Requests due in the measured window (for Poisson arrivals, once the run is over: those drawn so far and the rest). */
  public long scheduledInWindow() {
    if (poisson) {
      synchronized (this) {
        while (beforeEnd((long) poissonAt)) {
          nextDue();
        }
        return poissonInWindow;
      }
    }
    return firstAtOrAfter(measureEnd) - firstAtOrAfter(measureStart);
  }

  private long firstAtOrAfter(long t) {
    long i = (long) Math.ceil((t - start) / intervalNanos);
    while (i > 0 && due(i - 1) - t >= 0) {
      i--;
    }
    while (due(i) - t < 0) {
      i++;
    }
    return i;
  }
}
