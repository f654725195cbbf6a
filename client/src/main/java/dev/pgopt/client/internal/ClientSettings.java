package dev.pgopt.client.internal;

import dev.pgopt.client.route.Role;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;

/** The pool and connection settings the builder collected, validated. */
public record ClientSettings(Duration connectTimeout, Duration connectionTimeout, int primaryPoolSize, int replicaPoolSize,
    Duration writeStatementTimeout, Duration readStatementTimeout, boolean pgBouncerTransactionMode,
    boolean startWithoutReplicas, CircuitBreakerConfig circuitBreaker) {

  public Duration statementTimeout(Role role) {
    return role == Role.PRIMARY ? writeStatementTimeout : readStatementTimeout;
  }
}
