package dev.pgopt.client;

import dev.pgopt.client.observe.StatementObservation;
import dev.pgopt.client.resilience.RetrySettings;
import dev.pgopt.client.route.NodeListener;
import dev.pgopt.client.route.ReadFallback;
import dev.pgopt.client.route.RoutingStrategy;
import dev.pgopt.connect.DatabaseTarget;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * A {@link PgoptDataSource}'s configuration, validated and immutable: every URL parsed, every name checked, so that
 * {@link PgoptDataSource#start} only has servers left to fail on. Made by {@link PgoptDataSourceBuilder#config()}.
 * Its {@code toString} is Object's: the targets it holds carry passwords.
 */
public final class PgoptConfig {
  /** A replica as configured: its name in metrics and events, where it is, its share of reads and its zone. */
  public record Replica(String name, DatabaseTarget target, int weight, Optional<String> zone) {}

  private final Optional<DatabaseTarget> primary;
  private final Optional<DatabaseTarget> cluster;
  private final List<Replica> replicas;
  private final RoutingStrategy strategy;
  private final Optional<String> preferredZone;
  private final long maxLagBytes;
  private final Duration maxLag;
  private final ReadFallback readFallback;
  private final Duration readYourWritesWait;
  private final Duration healthCheckInterval;
  private final Duration probeTimeout;
  private final int primaryPoolSize;
  private final int replicaPoolSize;
  private final Duration connectTimeout;
  private final Duration connectionTimeout;
  private final Duration writeStatementTimeout;
  private final Duration readStatementTimeout;
  private final boolean pgBouncerTransactionMode;
  private final boolean startWithoutReplicas;
  private final RetrySettings retry;
  private final CircuitBreakerConfig circuitBreaker;
  private final Optional<MeterRegistry> meterRegistry;
  private final Optional<StatementObservation> observation;
  private final List<NodeListener> listeners;
  private final LongSupplier nanoTime;
  private final Clock clock;
  private final RandomGenerator random;

  // one constructor for the builder: the parameter list is the builder's state, already checked
  PgoptConfig(Optional<DatabaseTarget> primary, Optional<DatabaseTarget> cluster, List<Replica> replicas,
      RoutingStrategy strategy, Optional<String> preferredZone, long maxLagBytes, Duration maxLag, ReadFallback readFallback,
      Duration readYourWritesWait, Duration healthCheckInterval, Duration probeTimeout, int primaryPoolSize,
      int replicaPoolSize, Duration connectTimeout, Duration connectionTimeout, Duration writeStatementTimeout,
      Duration readStatementTimeout, boolean pgBouncerTransactionMode, boolean startWithoutReplicas, RetrySettings retry,
      CircuitBreakerConfig circuitBreaker, Optional<MeterRegistry> meterRegistry, Optional<StatementObservation> observation,
      List<NodeListener> listeners, LongSupplier nanoTime, Clock clock, RandomGenerator random) {
    this.primary = primary;
    this.cluster = cluster;
    this.replicas = List.copyOf(replicas);
    this.strategy = strategy;
    this.preferredZone = preferredZone;
    this.maxLagBytes = maxLagBytes;
    this.maxLag = maxLag;
    this.readFallback = readFallback;
    this.readYourWritesWait = readYourWritesWait;
    this.healthCheckInterval = healthCheckInterval;
    this.probeTimeout = probeTimeout;
    this.primaryPoolSize = primaryPoolSize;
    this.replicaPoolSize = replicaPoolSize;
    this.connectTimeout = connectTimeout;
    this.connectionTimeout = connectionTimeout;
    this.writeStatementTimeout = writeStatementTimeout;
    this.readStatementTimeout = readStatementTimeout;
    this.pgBouncerTransactionMode = pgBouncerTransactionMode;
    this.startWithoutReplicas = startWithoutReplicas;
    this.retry = retry;
    this.circuitBreaker = circuitBreaker;
    this.meterRegistry = meterRegistry;
    this.observation = observation;
    this.listeners = List.copyOf(listeners);
    this.nanoTime = nanoTime;
    this.clock = clock;
    this.random = random;
  }

  /** The primary alone, unless {@link #cluster()} names every node. Exactly one of the two is present. */
  public Optional<DatabaseTarget> primary() {
    return primary;
  }

  /** One multi-host URL: the node not in recovery is the primary, the others replicas. */
  public Optional<DatabaseTarget> cluster() {
    return cluster;
  }

  public List<Replica> replicas() {
    return replicas;
  }

  public RoutingStrategy strategy() {
    return strategy;
  }

  public Optional<String> preferredZone() {
    return preferredZone;
  }

  public long maxLagBytes() {
    return maxLagBytes;
  }

  public Duration maxLag() {
    return maxLag;
  }

  public ReadFallback readFallback() {
    return readFallback;
  }

  public Duration readYourWritesWait() {
    return readYourWritesWait;
  }

  public Duration healthCheckInterval() {
    return healthCheckInterval;
  }

  public Duration probeTimeout() {
    return probeTimeout;
  }

  public int primaryPoolSize() {
    return primaryPoolSize;
  }

  public int replicaPoolSize() {
    return replicaPoolSize;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration connectionTimeout() {
    return connectionTimeout;
  }

  public Duration writeStatementTimeout() {
    return writeStatementTimeout;
  }

  public Duration readStatementTimeout() {
    return readStatementTimeout;
  }

  public boolean pgBouncerTransactionMode() {
    return pgBouncerTransactionMode;
  }

  public boolean startWithoutReplicas() {
    return startWithoutReplicas;
  }

  public RetrySettings retry() {
    return retry;
  }

  public CircuitBreakerConfig circuitBreaker() {
    return circuitBreaker;
  }

  public Optional<MeterRegistry> meterRegistry() {
    return meterRegistry;
  }

  public Optional<StatementObservation> observation() {
    return observation;
  }

  public List<NodeListener> listeners() {
    return listeners;
  }

  public LongSupplier nanoTime() {
    return nanoTime;
  }

  public Clock clock() {
    return clock;
  }

  public RandomGenerator random() {
    return random;
  }
}
