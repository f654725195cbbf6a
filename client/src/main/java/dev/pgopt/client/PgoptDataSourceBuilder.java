package dev.pgopt.client;

import dev.pgopt.client.observe.StatementObservation;
import dev.pgopt.client.resilience.RetrySettings;
import dev.pgopt.client.route.NodeListener;
import dev.pgopt.client.route.NodeStatus;
import dev.pgopt.client.route.ReadFallback;
import dev.pgopt.client.route.RoutingStrategy;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.InvalidTargetException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Collects a {@link PgoptDataSource}'s settings. Each setter rejects a bad value at once with one clear line;
 * {@link #config()} checks them together (URLs, names) into an immutable {@link PgoptConfig}, and {@link #build()}
 * starts a data source from it.
 */
public final class PgoptDataSourceBuilder {
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private record ReplicaUrl(String name, String url, int weight, String zone) {}

  private String primaryUrl;
  private String clusterUrl;
  private final List<ReplicaUrl> replicas = new ArrayList<>();
  private Environment environment = Environment.system();
  private RoutingStrategy strategy = RoutingStrategy.ROUND_ROBIN;
  private String localZone;
  private long maxLagBytes = 16L * 1024 * 1024;
  private Duration maxLag = Duration.ofSeconds(5);
  private ReadFallback fallback = ReadFallback.PRIMARY;
  private Duration replayWait = Duration.ofMillis(100);
  private Duration healthInterval = Duration.ofSeconds(1);
  private int primaryPoolSize = 10;
  private int replicaPoolSize = 10;
  private Duration connectionTimeout = Duration.ofSeconds(2);
  private Duration writeStatementTimeout = Duration.ofSeconds(30);
  private Duration readStatementTimeout = Duration.ofSeconds(30);
  private boolean pgBouncerTransactionMode;
  private boolean startWithoutReplicas;
  private RetrySettings retry = RetrySettings.defaults();
  private CircuitBreakerConfig circuitBreaker = CircuitBreakerConfig.custom()
      .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
      .slidingWindowSize(20)
      .minimumNumberOfCalls(5)
      .failureRateThreshold(50)
      .waitDurationInOpenState(Duration.ofSeconds(5))
      .permittedNumberOfCallsInHalfOpenState(3)
      .build();
  private MeterRegistry registry;
  private StatementObservation observation;
  private LongSupplier nanoTime = System::nanoTime;
  private Clock clock = Clock.systemUTC();
  private final List<NodeListener> listeners = new ArrayList<>();
  private RandomGenerator random = new ThreadLocalRandomGenerator();

  PgoptDataSourceBuilder() {}

  public PgoptDataSourceBuilder primary(String url) {
    this.primaryUrl = url;
    return this;
  }

  public PgoptDataSourceBuilder replica(String name, String url) {
    return replica(name, url, 1, null);
  }

  /**
   * @param weight share of reads under {@link RoutingStrategy#WEIGHTED} (at least 1)
   * @param zone the replica's zone for {@link #preferZone}, or null
   */
  public PgoptDataSourceBuilder replica(String name, String url, int weight, String zone) {
    if (weight < 1) {
      throw new ClientConfigurationException("replica '" + name + "': weight must be at least 1, got " + weight);
    }
    replicas.add(new ReplicaUrl(name, url, weight, zone));
    return this;
  }

  /**
   * All nodes in one multi-host URL ({@code postgres://u:p@h1:5432,h2:5432/db}): the one not in recovery is the
   * primary, the others are replicas named after their host:port.
   */
  public PgoptDataSourceBuilder cluster(String multiHostUrl) {
    this.clusterUrl = multiHostUrl;
    return this;
  }

  /** Where PG* variables and ~/.pgpass come from (tests pass their own). */
  public PgoptDataSourceBuilder environment(Environment environment) {
    this.environment = Objects.requireNonNull(environment);
    return this;
  }

  public PgoptDataSourceBuilder strategy(RoutingStrategy strategy) {
    this.strategy = Objects.requireNonNull(strategy);
    return this;
  }

  /** Prefer replicas in this zone (the seeds' "geographic" routing); others serve only when none there can. */
  public PgoptDataSourceBuilder preferZone(String zone) {
    this.localZone = zone;
    return this;
  }

  /** Replicas further behind than either limit serve no reads (defaults 16 MiB and 5 s). */
  public PgoptDataSourceBuilder maxReplicaLag(long bytes, Duration time) {
    if (bytes < 0 || time.isNegative()) {
      throw new ClientConfigurationException("maxReplicaLag cannot be negative");
    }
    this.maxLagBytes = bytes;
    this.maxLag = time;
    return this;
  }

  public PgoptDataSourceBuilder readFallback(ReadFallback fallback) {
    this.fallback = Objects.requireNonNull(fallback);
    return this;
  }

  /**
   * How long a read-your-writes read waits for a replica to replay the session's last write before going to the
   * primary (default 100 ms; zero checks once and does not wait).
   */
  public PgoptDataSourceBuilder readYourWritesWait(Duration wait) {
    if (wait.isNegative()) {
      throw new ClientConfigurationException("readYourWritesWait cannot be negative");
    }
    this.replayWait = wait;
    return this;
  }

  public PgoptDataSourceBuilder healthCheckInterval(Duration interval) {
    if (interval.toMillis() < 10) {
      throw new ClientConfigurationException("healthCheckInterval must be at least 10 ms, got " + interval);
    }
    this.healthInterval = interval;
    return this;
  }

  public PgoptDataSourceBuilder poolSize(int primary, int perReplica) {
    if (primary <= 0 || perReplica <= 0) {
      throw new ClientConfigurationException("pool sizes must be positive: got primary " + primary + ", per replica "
          + perReplica + " (the default is 10 each; see docs/client.md)");
    }
    this.primaryPoolSize = primary;
    this.replicaPoolSize = perReplica;
    return this;
  }

  /** How long a borrow waits for a free or new connection before failing (default 2 s: fail fast). */
  public PgoptDataSourceBuilder connectionTimeout(Duration timeout) {
    if (timeout.toMillis() < 250) {
      throw new ClientConfigurationException("connectionTimeout must be at least 250 ms (HikariCP's minimum), got " + timeout);
    }
    this.connectionTimeout = timeout;
    return this;
  }

  /** statement_timeout for connections to the primary and to replicas (default 30 s each). */
  public PgoptDataSourceBuilder statementTimeouts(Duration writes, Duration reads) {
    if (writes.toMillis() <= 0 || reads.toMillis() <= 0) {
      throw new ClientConfigurationException("statement timeouts must be positive");
    }
    this.writeStatementTimeout = writes;
    this.readStatementTimeout = reads;
    return this;
  }

  /**
   * The URLs point at PgBouncer in transaction mode: no server-side prepared statements, no startup options; {@link
   * PgoptDataSource#tx} sets its statement_timeout per transaction. See docs/client.md for what transaction pooling breaks.
   */
  public PgoptDataSourceBuilder pgBouncerTransactionMode(boolean on) {
    this.pgBouncerTransactionMode = on;
    return this;
  }

  /** Start even if a replica is unreachable now (default: fail, so a typo is not mistaken for an outage). */
  public PgoptDataSourceBuilder startWithoutReplicas(boolean allow) {
    this.startWithoutReplicas = allow;
    return this;
  }

  public PgoptDataSourceBuilder retry(RetrySettings retry) {
    this.retry = Objects.requireNonNull(retry);
    return this;
  }

  /** Per-node breaker settings; pgopt records only connection-class failures against a node. */
  public PgoptDataSourceBuilder circuitBreaker(CircuitBreakerConfig config) {
    this.circuitBreaker = Objects.requireNonNull(config);
    return this;
  }

  /** Pool (HikariCP's tracker), node, lag, breaker and retry metrics. */
  public PgoptDataSourceBuilder meterRegistry(MeterRegistry registry) {
    this.registry = registry;
    return this;
  }

  /** Statement timers and the slow-statement log; off unless set. */
  public PgoptDataSourceBuilder observe(StatementObservation observation) {
    this.observation = observation;
    return this;
  }

  public PgoptDataSourceBuilder nanoTime(LongSupplier nanoTime) {
    this.nanoTime = Objects.requireNonNull(nanoTime);
    return this;
  }

  /** Wall-clock time for {@link NodeStatus#since()} and transition events. */
  public PgoptDataSourceBuilder clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock);
    return this;
  }

  /**
   * Hears every node transition (a replica lagging or back, the primary unreachable or back, a breaker opening).
   * With a meter registry, transitions are also counted as {@code pgopt.client.node.transitions}.
   */
  public PgoptDataSourceBuilder onNodeTransition(NodeListener listener) {
    listeners.add(Objects.requireNonNull(listener));
    return this;
  }

  public PgoptDataSourceBuilder random(RandomGenerator random) {
    this.random = Objects.requireNonNull(random);
    return this;
  }

  /** Starts the data source: {@link #config()}, then {@link PgoptDataSource#start}. */
  public PgoptDataSource build() {
    return PgoptDataSource.start(config());
  }

  /** The settings checked together, as an immutable configuration; fails with one line naming what is wrong. */
  public PgoptConfig config() {
    if ((primaryUrl == null) == (clusterUrl == null)) {
      throw new ClientConfigurationException("give either primary(url) (with replica(...) for each replica) or"
          + " cluster(multiHostUrl), not " + (primaryUrl == null ? "neither" : "both"));
    }
    Optional<DatabaseTarget> primary = Optional.empty();
    Optional<DatabaseTarget> cluster = Optional.empty();
    List<PgoptConfig.Replica> checked = new ArrayList<>();
    if (clusterUrl != null) {
      if (!replicas.isEmpty()) {
        throw new ClientConfigurationException("cluster(url) names every node; do not add replica(...) as well");
      }
      cluster = Optional.of(parse("cluster", clusterUrl));
    } else {
      DatabaseTarget p = parse("primary", primaryUrl);
      if (p.endpoints().size() != 1) {
        throw new ClientConfigurationException("the primary URL lists " + p.endpoints().size() + " hosts: use"
            + " cluster(url) for a multi-host URL, or give the primary alone");
      }
      primary = Optional.of(p);
      Set<String> names = new LinkedHashSet<>();
      names.add("primary");
      for (ReplicaUrl r : replicas) {
        if (r.name() == null || !r.name().matches("[A-Za-z0-9_.-]{1,40}")) {
          throw new ClientConfigurationException("replica name '" + r.name() + "' is not usable: use 1-40 letters, digits, . _ -");
        }
        if (!names.add(r.name())) {
          throw new ClientConfigurationException("replica name '" + r.name() + "' is used twice");
        }
        DatabaseTarget t = parse("replica '" + r.name() + "'", r.url());
        if (t.endpoints().size() != 1) {
          throw new ClientConfigurationException("replica '" + r.name() + "' URL lists " + t.endpoints().size()
              + " hosts: give one replica per replica(...) call");
        }
        checked.add(new PgoptConfig.Replica(r.name(), t, r.weight(), Optional.ofNullable(r.zone())));
      }
    }
    return new PgoptConfig(primary, cluster, checked, strategy, Optional.ofNullable(localZone), maxLagBytes, maxLag,
        fallback, replayWait, healthInterval, PROBE_TIMEOUT, primaryPoolSize, replicaPoolSize, CONNECT_TIMEOUT,
        connectionTimeout, writeStatementTimeout, readStatementTimeout, pgBouncerTransactionMode, startWithoutReplicas,
        retry, circuitBreaker, Optional.ofNullable(registry), Optional.ofNullable(observation), listeners, nanoTime, clock,
        random);
  }

  private DatabaseTarget parse(String what, String url) {
    if (url == null || url.isBlank()) {
      throw new ClientConfigurationException(what + " URL is empty");
    }
    try {
      return DatabaseTarget.parse(url, environment);
    } catch (InvalidTargetException e) {
      throw new ClientConfigurationException(what + " URL: " + e.getMessage());
    }
  }

  /** ThreadLocalRandom behind the RandomGenerator interface, for the default (it cannot be held across threads). */
  private static final class ThreadLocalRandomGenerator implements RandomGenerator {
    @Override
    public long nextLong() {
      return ThreadLocalRandom.current().nextLong();
    }
  }
}
