package dev.pgopt.client.resilience.internal;

import dev.pgopt.client.resilience.RetrySettings;
import io.github.resilience4j.core.functions.CheckedSupplier;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.sql.SQLException;
import java.util.random.RandomGenerator;

/** Resilience4j retry with pgopt's rules: retryable SQLStates only, jitter from an injectable random source. */
public final class Retrier {
  private final Retry retry;

  public Retrier(String name, RetrySettings settings, RandomGenerator random) {
    RetryConfig config = RetryConfig.custom()
        .maxAttempts(settings.maxAttempts())
        .intervalFunction(attempt -> settings.backoffMillis(attempt, random.nextDouble()))
        .retryOnException(TransientErrors::isRetryable)
        .failAfterMaxAttempts(false)
        .build();
    this.retry = Retry.of(name, config);
  }

  public Retry retry() {
    return retry;
  }

  public <T> T call(CheckedSupplier<T> work) throws SQLException {
    try {
      return Retry.decorateCheckedSupplier(retry, work).get();
    } catch (SQLException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new SQLException(t.getMessage(), t);
    }
  }
}
