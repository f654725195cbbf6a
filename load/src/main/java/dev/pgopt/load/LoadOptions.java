package dev.pgopt.load;

import java.time.Duration;

/**
 * One run: requests are due at {@code ratePerSecond} (spaced as {@code arrivals} says) for {@code warmup} (not recorded) then
 * {@code duration}; {@code clients} connections serve them. A request that finds every connection busy waits, and its
 * wait counts in its latency (the schedule, not the server, decides when requests arrive). Requests still waiting
 * {@code drainLimit} after the schedule ends are not sent and are counted as such.
 */
public record LoadOptions(double ratePerSecond, Duration duration, Duration warmup, int clients, Duration drainLimit,
    long seed, Arrivals arrivals) {
  /**
   * How due times are spaced: {@code POISSON}, exponential gaps (independent users; what pgbench {@code -R} does), or
   * {@code UNIFORM}, evenly (k6's constant arrival rate).
   */
  public enum Arrivals { POISSON, UNIFORM }

  /** Poisson arrivals. */
  public LoadOptions(double ratePerSecond, Duration duration, Duration warmup, int clients, Duration drainLimit, long seed) {
    this(ratePerSecond, duration, warmup, clients, drainLimit, seed, Arrivals.POISSON);
  }

  public LoadOptions withRate(double rate) {
    return new LoadOptions(rate, duration, warmup, clients, drainLimit, seed, arrivals);
  }

  public LoadOptions {
    java.util.Objects.requireNonNull(arrivals, "arrivals");
    if (!(ratePerSecond > 0) || ratePerSecond > 1_000_000) {
      throw new IllegalArgumentException("the rate must be above 0 and at most 1,000,000 per second, not " + ratePerSecond);
    }
    if (duration.toMillis() < 1000) {
      throw new IllegalArgumentException("the duration must be at least 1 s, not " + duration);
    }
    if (warmup.isNegative()) {
      throw new IllegalArgumentException("the warm-up cannot be negative");
    }
    if (clients < 1 || clients > 1000) {
      throw new IllegalArgumentException("clients must be between 1 and 1000, not " + clients);
    }
    if (drainLimit.isNegative()) {
      throw new IllegalArgumentException("the drain limit cannot be negative");
    }
  }
}
