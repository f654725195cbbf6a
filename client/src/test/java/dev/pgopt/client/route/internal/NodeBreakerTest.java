package dev.pgopt.client.route.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.client.route.Role;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NodeBreakerTest {
  private static final CircuitBreakerConfig CONFIG = CircuitBreakerConfig.custom()
      .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED).slidingWindowSize(20)
      .minimumNumberOfCalls(5).failureRateThreshold(50).waitDurationInOpenState(Duration.ofSeconds(5)).build();

  /** A breaker that is told of every success, as Resilience4j is normally used. */
  private static CircuitBreaker everySuccess(int successes, int failures) {
    CircuitBreaker b = CircuitBreaker.of("reference", CONFIG);
    for (int i = 0; i < successes; i++) {
      b.onSuccess(0, TimeUnit.NANOSECONDS);
    }
    for (int i = 0; i < failures; i++) {
      b.onError(0, TimeUnit.NANOSECONDS, new SQLException("refused", "08001"));
    }
    return b;
  }

  private static Node node() {
    return new Node("r", Role.REPLICA, null, 1, "r:5432", null, new PoolConnector(() -> null),
        CircuitBreaker.of("r", CONFIG), System::nanoTime, Instant.EPOCH);
  }

  @Test
  void skippingSuccessesInAQuietWindowGivesTheSameDecisionsAsRecordingThemAll() {
    for (int failures = 1; failures <= 12; failures++) {
      Node n = node();
      for (int i = 0; i < failures; i++) {
        n.failed(0, new SQLException("refused", "08001"));
      }
      CircuitBreaker reference = everySuccess(100, failures);
      assertThat(n.breaker().getState()).as(failures + " failures after many successes")
          .isEqualTo(reference.getState());
      assertThat(n.breaker().getMetrics().getFailureRate()).isEqualTo(reference.getMetrics().getFailureRate());
    }
  }

  @Test
  void aSettledWindowStopsRecordingSuccessesAgain() {
    Node n = node();
    n.failed(0, new SQLException("refused", "08001"));
    assertThat(n.breaker().getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
    n.settle(); // a failure is still in the window: not quiet
    for (int i = 0; i < 20; i++) {
      n.breaker().onSuccess(0, TimeUnit.NANOSECONDS); // what borrows record while not quiet
    }
    assertThat(n.breaker().getMetrics().getNumberOfFailedCalls()).isZero();
    n.settle();
    n.failed(0, new SQLException("refused", "08001"));
    assertThat(n.breaker().getMetrics().getNumberOfBufferedCalls()).isEqualTo(20);
    assertThat(n.breaker().getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
  }
}
