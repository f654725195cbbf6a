package dev.pgopt.load.internal;

import java.time.Duration;

/**
 * When each request of an open-loop run is due: request {@code i} at {@code start + i / rate}. The first
 * {@code warmup} is not measured; no request is due at or after the end of the measured window; requests still
 * waiting {@code drainLimit} after that end are not sent.
 */
public final class RequestClock {
  private final long start;
  private final double intervalNanos;
  private final long measureStart;
  private final long measureEnd;
  private final long drainEnd;

  public RequestClock(long startNanos, double ratePerSecond, Duration warmup, Duration duration, Duration drainLimit) {
    this.start = startNanos;
    this.intervalNanos = 1e9 / ratePerSecond;
    this.measureStart = startNanos + warmup.toNanos();
    this.measureEnd = measureStart + duration.toNanos();
    this.drainEnd = measureEnd + drainLimit.toNanos();
  }

  public long start() {
    return start;
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

  /** Requests due in the measured window. */
  public long scheduledInWindow() {
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
