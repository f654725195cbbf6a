package dev.pgopt.client;

import dev.pgopt.client.internal.ClientSettings;
import dev.pgopt.client.internal.ClusterDiscovery;
import dev.pgopt.client.internal.NodeFactory;
import dev.pgopt.client.internal.NodeSpec;
import dev.pgopt.client.observe.StatementObservation;
import dev.pgopt.client.observe.internal.CurrentLabel;
import dev.pgopt.client.observe.internal.StatementObserver;
import dev.pgopt.client.resilience.RetrySettings;
import dev.pgopt.client.resilience.internal.Retrier;
import dev.pgopt.client.resilience.internal.TransientErrors;
import dev.pgopt.client.route.NodeListener;
import dev.pgopt.client.route.NodeStatus;
import dev.pgopt.client.route.ReadFallback;
import dev.pgopt.client.route.Role;
import dev.pgopt.client.route.RoutingStrategy;
import dev.pgopt.client.route.internal.HealthChecker;
import dev.pgopt.client.route.internal.Intent;
import dev.pgopt.client.route.internal.Node;
import dev.pgopt.client.route.internal.ReplicaSelector;
import dev.pgopt.client.route.internal.RoutedConnection;
import dev.pgopt.client.route.internal.Router;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.InvalidTargetException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;
import javax.sql.DataSource;

/**
 * A {@link DataSource} over one primary and any number of streaming replicas, each with its own HikariCP pool.
 *
 * <p>Where work goes is decided from intent before a connection is touched: {@link #getConnection()} returns a
 * connection that borrows nothing until first used, and goes to a replica if {@code setReadOnly(true)} was called by
 * then; {@link #reader()} and {@link #writer()} say it outright; {@link #read} and {@link #tx} add retries. SQL text is
 * never parsed to decide.
 *
 * <p>Replicas serve reads while they are reachable, within the lag limit and their circuit breaker is closed; reads
 * in a {@link ConsistencySession} (read-your-writes) only use a replica that has replayed the session's last write.
 */
public final class PgoptDataSource implements DataSource, AutoCloseable {
  private final Router router;
  private final HealthChecker checker;
  private final StatementObserver observer;
  private final Retrier readRetrier;
  private final Retrier txRetrier;
  private final boolean pgBouncer;
  private final Duration writeStatementTimeout;
  private final List<Node> nodes;
  private final ThreadLocal<ConsistencySession> sessions = new ThreadLocal<>();
  private volatile boolean sessionsUsed;
  private volatile PrintWriter logWriter;
  private volatile boolean closed;

  private PgoptDataSource(Builder b, Router router, HealthChecker checker, List<Node> nodes) {
    this.router = router;
    this.checker = checker;
    this.nodes = nodes;
    this.observer = b.observation == null ? null : new StatementObserver(b.observation);
    this.readRetrier = new Retrier("pgopt-read", b.retry, b.random);
    this.txRetrier = new Retrier("pgopt-tx", b.retry, b.random);
    this.pgBouncer = b.pgBouncerTransactionMode;
    this.writeStatementTimeout = b.writeStatementTimeout;
    if (b.registry != null) {
      registerMeters(b.registry);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A connection routed at first use: to a replica if {@code setReadOnly(true)} was called before, else the primary. */
  @Override
  public Connection getConnection() {
    ConsistencySession s = currentSession();
    return new RoutedConnection(router, observer, Intent.BY_READ_ONLY_FLAG, s, null);
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("PgoptDataSource connects with the credentials it was built with");
  }

  /** Connections for reads: a healthy replica, or the primary when none may serve (see {@link ReadFallback}). */
  public DataSource reader() {
    return new RouteView(Intent.READ, null);
  }

  /** Connections for reads that must see the write {@code token} marks, e.g. one received from another service. */
  public DataSource reader(ConsistencyToken token) {
    return new RouteView(Intent.READ, Objects.requireNonNull(token, "token"));
  }

  /** Connections to the primary. */
  public DataSource writer() {
    return new RouteView(Intent.WRITE, null);
  }

  /**
   * Runs an idempotent read on a replica (or the primary, as routing decides), retrying it elsewhere on a transient
   * error. {@code label} names it in metrics and the slow log.
   */
  public <T> T read(String label, SqlFunction<T> work) throws SQLException {
    return readRetrier.call(() -> attempt(label, Intent.READ, null, work, null));
  }

  /**
   * A read that must see the write {@code token} marks (from {@link Committed#token()}, or received from another
   * service): it goes to a replica that has replayed it, waiting up to {@code readYourWritesWait}, else the primary.
   */
  public <T> T read(ConsistencyToken token, String label, SqlFunction<T> work) throws SQLException {
    Objects.requireNonNull(token, "token");
    return readRetrier.call(() -> attempt(label, Intent.READ, token, work, null));
  }

  /**
   * Runs {@code work} as one transaction on the primary and commits it. The whole callback is retried on a transient
   * error (connection loss before commit, serialization failure, deadlock), so it must have no effects outside the
   * database. A connection lost during COMMIT is never retried: it raises {@link CommitOutcomeUnknownException}.
   *
   * @return the callback's result and the commit's WAL position, for reads elsewhere that must see this write (read
   *     in the same round trip as COMMIT)
   */
  public <T> Committed<T> tx(String label, SqlFunction<T> work) throws SQLException {
    return txRetrier.call(() -> {
      ConsistencyToken[] position = new ConsistencyToken[1];
      T value = attempt(label, Intent.WRITE, null, work, position);
      return new Committed<>(value, position[0]);
    });
  }

  private <T> T attempt(String label, Intent intent, ConsistencyToken token, SqlFunction<T> work,
      ConsistencyToken[] committedAt) throws SQLException {
    String previousLabel = observer == null ? null : CurrentLabel.set(label);
    RoutedConnection c = new RoutedConnection(router, observer, intent, currentSession(), token);
    try {
      T result;
      if (intent == Intent.WRITE) {
        c.setAutoCommit(false);
        if (pgBouncer) {
          try (Statement s = c.createStatement()) {
            // Session settings do not survive transaction pooling; a transaction-local one does.
            s.execute("SET LOCAL statement_timeout = " + writeStatementTimeout.toMillis());
          }
        }
        result = work.apply(c);
        committedAt[0] = commit(c);
      } else {
        result = work.apply(c);
      }
      return result;
    } catch (SQLException e) {
      if (!(e instanceof CommitOutcomeUnknownException)) {
        rollbackQuietly(c);
      }
      if (TransientErrors.isConnectionLoss(e) && c.node() != null) {
        c.node().connectionLost(e);
        router.refresh();
      }
      throw e;
    } finally {
      closeQuietly(c);
      if (observer != null) {
        CurrentLabel.set(previousLabel);
      }
    }
  }

  private static ConsistencyToken commit(RoutedConnection c) throws SQLException {
    try {
      return c.commitReadingPosition();
    } catch (SQLException e) {
      if (TransientErrors.isConnectionLoss(e)) {
        throw new CommitOutcomeUnknownException("the connection to " + c.node() + " broke during COMMIT: the"
            + " transaction may or may not have been applied; check before repeating it", e);
      }
      throw e;
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      if (!c.getAutoCommit()) {
        c.rollback();
      }
    } catch (SQLException ignored) {
      // the connection is broken; the server rolls back on its own
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // closing a broken connection: the pool discards it
    }
  }

  /**
   * Opens a read-your-writes session on this thread: writes through this data source advance it, reads honour it.
   * Close it (try-with-resources) to unbind.
   */
  public ConsistencySession session() {
    return session(null);
  }

  /** Continues a session from a token received from elsewhere. */
  public ConsistencySession session(ConsistencyToken start) {
    sessionsUsed = true;
    ConsistencySession previous = sessions.get();
    ConsistencySession[] holder = new ConsistencySession[1];
    holder[0] = new ConsistencySession(start, () -> {
      if (sessions.get() == holder[0]) {
        if (previous == null) {
          sessions.remove();
        } else {
          sessions.set(previous);
        }
      }
    });
    sessions.set(holder[0]);
    return holder[0];
  }

  private ConsistencySession currentSession() {
    return sessionsUsed ? sessions.get() : null;
  }

  /** Every node's state as of the last health check. */
  public List<NodeStatus> nodes() {
    List<NodeStatus> out = new ArrayList<>(nodes.size());
    for (Node n : nodes) {
      out.add(n.status(router.problem(n)));
    }
    return out;
  }

  /** Runs a health check round now instead of waiting for the next one. */
  public void checkHealth() {
    checker.checkNow();
  }

  private void registerMeters(MeterRegistry registry) {
    for (Node n : nodes) {
      String role = n.role().name().toLowerCase();
      Gauge.builder("pgopt.client.node.routable", n, x -> router.routable(x) ? 1 : 0)
          .description("1 when the node may take work").tag("node", n.name()).tag("role", role).register(registry);
      Gauge.builder("pgopt.client.node.borrowed", n, Node::borrowed)
          .description("Connections borrowed through the data source").tag("node", n.name()).tag("role", role)
          .register(registry);
      Gauge.builder("pgopt.client.breaker.open", n, x -> x.breaker().getState() == CircuitBreaker.State.OPEN ? 1 : 0)
          .description("1 while the node's circuit breaker is open").tag("node", n.name()).register(registry);
      if (n.role() == Role.REPLICA) {
        Gauge.builder("pgopt.client.replica.lag", n, x -> Math.max(0, x.health().lagBytes()))
            .description("WAL the replica has yet to replay").baseUnit("bytes").tag("node", n.name()).register(registry);
        Gauge.builder("pgopt.client.replica.lag.time", n, x -> Math.max(0, x.health().lagMillis()) / 1000.0)
            .description("How long ago the primary was where the replica is").baseUnit("seconds")
            .tag("node", n.name()).register(registry);
      }
    }
    Counter readRetries = Counter.builder("pgopt.client.retries").tag("operation", "read").register(registry);
    Counter txRetries = Counter.builder("pgopt.client.retries").tag("operation", "tx").register(registry);
    readRetrier.retry().getEventPublisher().onRetry(e -> readRetries.increment());
    txRetrier.retry().getEventPublisher().onRetry(e -> txRetries.increment());
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    checker.close();
    if (observer != null) {
      observer.close();
    }
    for (Node n : nodes) {
      n.pool().close();
    }
  }

  @Override
  public PrintWriter getLogWriter() {
    return logWriter;
  }

  @Override
  public void setLogWriter(PrintWriter out) {
    this.logWriter = out;
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    throw new SQLFeatureNotSupportedException("set connectionTimeout on the builder");
  }

  @Override
  public int getLoginTimeout() {
    return 0;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException("pgopt logs through System.Logger");
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    throw new SQLException("PgoptDataSource does not wrap " + iface.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this);
  }

  /** The reader() / writer() views: same pools, fixed intent. */
  private final class RouteView implements DataSource {
    private final Intent intent;
    private final ConsistencyToken token;

    RouteView(Intent intent, ConsistencyToken token) {
      this.intent = intent;
      this.token = token;
    }

    @Override
    public Connection getConnection() {
      return new RoutedConnection(router, observer, intent, currentSession(), token);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      return PgoptDataSource.this.getConnection(username, password);
    }

    @Override
    public PrintWriter getLogWriter() {
      return logWriter;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
      logWriter = out;
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      PgoptDataSource.this.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      return PgoptDataSource.this.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      return PgoptDataSource.this.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return PgoptDataSource.this.isWrapperFor(iface);
    }
  }

  /** Configuration; {@link #build()} checks every node and fails with one clear line on bad input. */
  public static final class Builder {
    private String primaryUrl;
    private String clusterUrl;
    private final List<String[]> replicas = new ArrayList<>();
    private Environment environment = Environment.system();
    private RoutingStrategy strategy = RoutingStrategy.ROUND_ROBIN;
    private String localZone;
    private long maxLagBytes = 16L * 1024 * 1024;
    private Duration maxLag = Duration.ofSeconds(5);
    private ReadFallback fallback = ReadFallback.PRIMARY;
    private Duration replayWait = Duration.ofMillis(100);
    private Duration healthInterval = Duration.ofSeconds(1);
    private Duration probeTimeout = Duration.ofSeconds(2);
    private int primaryPoolSize = 10;
    private int replicaPoolSize = 10;
    private Duration connectTimeout = Duration.ofSeconds(5);
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

    private Builder() {}

    /** The primary, as a libpq URL ({@code postgres://user:pass@host:5432/db}), keyword/value string or JDBC URL. */
    public Builder primary(String url) {
      this.primaryUrl = url;
      return this;
    }

    public Builder replica(String name, String url) {
      return replica(name, url, 1, null);
    }

    /**
     * @param weight share of reads under {@link RoutingStrategy#WEIGHTED} (at least 1)
     * @param zone the replica's zone for {@link #preferZone}, or null
     */
    public Builder replica(String name, String url, int weight, String zone) {
      if (weight < 1) {
        throw new ClientConfigurationException("replica '" + name + "': weight must be at least 1, got " + weight);
      }
      replicas.add(new String[] {name, url, Integer.toString(weight), zone});
      return this;
    }

    /**
     * All nodes in one multi-host URL ({@code postgres://u:p@h1:5432,h2:5432/db}): the one not in recovery is the
     * primary, the others are replicas named after their host:port.
     */
    public Builder cluster(String multiHostUrl) {
      this.clusterUrl = multiHostUrl;
      return this;
    }

    /** Where PG* variables and ~/.pgpass come from (tests pass their own). */
    public Builder environment(Environment environment) {
      this.environment = Objects.requireNonNull(environment);
      return this;
    }

    public Builder strategy(RoutingStrategy strategy) {
      this.strategy = Objects.requireNonNull(strategy);
      return this;
    }

    /** Prefer replicas in this zone (the seeds' "geographic" routing); others serve only when none there can. */
    public Builder preferZone(String zone) {
      this.localZone = zone;
      return this;
    }

    /** Replicas further behind than either limit serve no reads (defaults 16 MiB and 5 s). */
    public Builder maxReplicaLag(long bytes, Duration time) {
      if (bytes < 0 || time.isNegative()) {
        throw new ClientConfigurationException("maxReplicaLag cannot be negative");
      }
      this.maxLagBytes = bytes;
      this.maxLag = time;
      return this;
    }

    public Builder readFallback(ReadFallback fallback) {
      this.fallback = Objects.requireNonNull(fallback);
      return this;
    }

    /**
     * How long a read-your-writes read waits for a replica to replay the session's last write before going to the
     * primary (default 100 ms; zero checks once and does not wait).
     */
    public Builder readYourWritesWait(Duration wait) {
      if (wait.isNegative()) {
        throw new ClientConfigurationException("readYourWritesWait cannot be negative");
      }
      this.replayWait = wait;
      return this;
    }

    public Builder healthCheckInterval(Duration interval) {
      if (interval.toMillis() < 10) {
        throw new ClientConfigurationException("healthCheckInterval must be at least 10 ms, got " + interval);
      }
      this.healthInterval = interval;
      return this;
    }

    public Builder poolSize(int primary, int perReplica) {
      if (primary <= 0 || perReplica <= 0) {
        throw new ClientConfigurationException("pool sizes must be positive: got primary " + primary + ", per replica "
            + perReplica + " (the default is 10 each; see docs/client.md)");
      }
      this.primaryPoolSize = primary;
      this.replicaPoolSize = perReplica;
      return this;
    }

    /** How long a borrow waits for a free or new connection before failing (default 2 s: fail fast). */
    public Builder connectionTimeout(Duration timeout) {
      if (timeout.toMillis() < 250) {
        throw new ClientConfigurationException("connectionTimeout must be at least 250 ms (HikariCP's minimum), got " + timeout);
      }
      this.connectionTimeout = timeout;
      return this;
    }

    /** statement_timeout for connections to the primary and to replicas (default 30 s each). */
    public Builder statementTimeouts(Duration writes, Duration reads) {
      if (writes.toMillis() <= 0 || reads.toMillis() <= 0) {
        throw new ClientConfigurationException("statement timeouts must be positive");
      }
      this.writeStatementTimeout = writes;
      this.readStatementTimeout = reads;
      return this;
    }

    /**
     * The URLs point at PgBouncer in transaction mode: no server-side prepared statements, no startup options; {@link
     * #tx} sets its statement_timeout per transaction. See docs/client.md for what transaction pooling breaks.
     */
    public Builder pgBouncerTransactionMode(boolean on) {
      this.pgBouncerTransactionMode = on;
      return this;
    }

    /** Start even if a replica is unreachable now (default: fail, so a typo is not mistaken for an outage). */
    public Builder startWithoutReplicas(boolean allow) {
      this.startWithoutReplicas = allow;
      return this;
    }

    public Builder retry(RetrySettings retry) {
      this.retry = Objects.requireNonNull(retry);
      return this;
    }

    /** Per-node breaker settings; pgopt records only connection-class failures against a node. */
    public Builder circuitBreaker(CircuitBreakerConfig config) {
      this.circuitBreaker = Objects.requireNonNull(config);
      return this;
    }

    /** Pool (HikariCP's tracker), node, lag, breaker and retry metrics. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = registry;
      return this;
    }

    /** Statement timers and the slow-statement log; off unless set. */
    public Builder observe(StatementObservation observation) {
      this.observation = observation;
      return this;
    }

    public Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime);
      return this;
    }

    /** Wall-clock time for {@link NodeStatus#since()} and transition events. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /**
     * Hears every node transition (a replica lagging or back, the primary unreachable or back, a breaker opening).
     * With a meter registry, transitions are also counted as {@code pgopt.client.node.transitions}.
     */
    public Builder onNodeTransition(NodeListener listener) {
      listeners.add(Objects.requireNonNull(listener));
      return this;
    }

    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random);
      return this;
    }

    public PgoptDataSource build() {
      ClientSettings settings = new ClientSettings(connectTimeout, connectionTimeout, primaryPoolSize, replicaPoolSize,
          writeStatementTimeout, readStatementTimeout, pgBouncerTransactionMode, startWithoutReplicas, circuitBreaker);
      NodeFactory factory = new NodeFactory(settings);
      List<NodeSpec> specs = specs(factory);
      List<NodeSpec> reachable = new ArrayList<>();
      for (NodeSpec s : specs) {
        if (factory.verify(s)) {
          reachable.add(s);
        }
      }
      List<Node> nodes = new ArrayList<>();
      try {
        for (NodeSpec s : specs) {
          nodes.add(factory.create(s, registry, nanoTime, clock.instant()));
        }
      } catch (RuntimeException e) {
        nodes.forEach(n -> n.pool().close());
        throw new ClientConfigurationException("cannot create connection pools: " + e.getMessage(), e);
      }
      Node primary = nodes.get(0);
      Router router = new Router(primary, nodes.subList(1, nodes.size()), ReplicaSelector.of(strategy, random), localZone,
          maxLagBytes, maxLag, fallback, replayWait, nanoTime, clock, listener());
      HealthChecker checker = new HealthChecker(router, node -> factory.openDirect(specOf(specs, node), "pgopt-health",
          probeTimeout), nanoTime);
      checker.checkNow();
      checker.start(healthInterval);
      return new PgoptDataSource(this, router, checker, List.copyOf(nodes));
    }

    /** The application's listeners and the transition counter, as one; null when there is neither. */
    private NodeListener listener() {
      List<NodeListener> all = new ArrayList<>(listeners);
      if (registry != null) {
        MeterRegistry r = registry;
        all.add(t -> Counter.builder("pgopt.client.node.transitions")
            .description("Node state changes, by the state entered").tag("node", t.node()).tag("to", t.to().name())
            .register(r).increment());
      }
      if (all.isEmpty()) {
        return null;
      }
      return t -> {
        for (NodeListener l : all) {
          l.onTransition(t);
        }
      };
    }

    private static NodeSpec specOf(List<NodeSpec> specs, Node node) {
      return specs.stream().filter(s -> s.name().equals(node.name())).findFirst().orElseThrow();
    }

    private List<NodeSpec> specs(NodeFactory factory) {
      if ((primaryUrl == null) == (clusterUrl == null)) {
        throw new ClientConfigurationException("give either primary(url) (with replica(...) for each replica) or"
            + " cluster(multiHostUrl), not " + (primaryUrl == null ? "neither" : "both"));
      }
      List<NodeSpec> specs = new ArrayList<>();
      if (clusterUrl != null) {
        if (!replicas.isEmpty()) {
          throw new ClientConfigurationException("cluster(url) names every node; do not add replica(...) as well");
        }
        return ClusterDiscovery.discover(parse("cluster", clusterUrl), factory, connectTimeout);
      }
      DatabaseTarget p = parse("primary", primaryUrl);
      if (p.endpoints().size() != 1) {
        throw new ClientConfigurationException("the primary URL lists " + p.endpoints().size() + " hosts: use"
            + " cluster(url) for a multi-host URL, or give the primary alone");
      }
      specs.add(new NodeSpec("primary", Role.PRIMARY, p, p.endpoints().get(0), 1, null));
      Set<String> names = new LinkedHashSet<>();
      names.add("primary");
      for (String[] r : replicas) {
        if (r[0] == null || !r[0].matches("[A-Za-z0-9_.-]{1,40}")) {
          throw new ClientConfigurationException("replica name '" + r[0] + "' is not usable: use 1-40 letters, digits, . _ -");
        }
        if (!names.add(r[0])) {
          throw new ClientConfigurationException("replica name '" + r[0] + "' is used twice");
        }
        DatabaseTarget t = parse("replica '" + r[0] + "'", r[1]);
        if (t.endpoints().size() != 1) {
          throw new ClientConfigurationException("replica '" + r[0] + "' URL lists " + t.endpoints().size()
              + " hosts: give one replica per replica(...) call");
        }
        specs.add(new NodeSpec(r[0], Role.REPLICA, t, t.endpoints().get(0), Integer.parseInt(r[2]), r[3]));
      }
      return specs;
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
  }

  /** ThreadLocalRandom behind the RandomGenerator interface, for the default (it cannot be held across threads). */
  private static final class ThreadLocalRandomGenerator implements RandomGenerator {
    @Override
    public long nextLong() {
      return ThreadLocalRandom.current().nextLong();
    }
  }
}
