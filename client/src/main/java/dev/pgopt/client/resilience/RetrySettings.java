package dev.pgopt.client.resilience;

import java.time.Duration;

/**
 * Retries of idempotent reads and whole transactions on transient errors: exponential backoff with jitter, so
 * clients that failed together do not retry together.
 *
 * @param maxAttempts attempts in all, including the first (1 = no retry)
 * @param jitter each pause is drawn uniformly from ±jitter around its nominal value (0 to 1)
 */
public record RetrySettings(int maxAttempts, Duration initialBackoff, double multiplier, Duration maxBackoff, double jitter) {
  public RetrySettings {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("retry maxAttempts must be at least 1 (1 turns retries off), got " + maxAttempts);
    }
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("retry backoff must satisfy 0 <= initialBackoff <= maxBackoff");
    }
    if (multiplier < 1) {
      throw new IllegalArgumentException("retry multiplier must be at least 1, got " + multiplier);
    }
    if (jitter < 0 || jitter > 1) {
      throw new IllegalArgumentException("retry jitter must be between 0 and 1, got " + jitter);
    }
  }

  /** Three attempts, 50 ms then 100 ms (±50 %), capped at 1 s: rides out a restart or failover of a few hundred ms. */
  public static RetrySettings defaults() {
    return new RetrySettings(3, Duration.ofMillis(50), 2.0, Duration.ofSeconds(1), 0.5);
  }

  public static RetrySettings none() {
    return new RetrySettings(1, Duration.ZERO, 1, Duration.ZERO, 0);
  }

  /** The pause before attempt {@code attempt + 1}, given a uniform draw {@code u} in [0, 1). */
  public long backoffMillis(int attempt, double u) {
    double nominal = Math.min(maxBackoff.toMillis(), initialBackoff.toMillis() * Math.pow(multiplier, attempt - 1));
    return Math.round(nominal * (1 - jitter + 2 * jitter * u));
  }
}
