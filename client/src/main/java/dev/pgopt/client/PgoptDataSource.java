package dev.pgopt.client;

import dev.pgopt.client.internal.ClientSettings;
import dev.pgopt.client.internal.ClusterDiscovery;
import dev.pgopt.client.internal.NodeFactory;
import dev.pgopt.client.internal.NodeSpec;
import dev.pgopt.client.internal.WorkRunner;
import dev.pgopt.client.observe.internal.ClientMeters;
import dev.pgopt.client.observe.internal.StatementObserver;
import dev.pgopt.client.resilience.internal.Retrier;
import dev.pgopt.client.route.NodeListener;
import dev.pgopt.client.route.NodeStatus;
import dev.pgopt.client.route.ReadFallback;
import dev.pgopt.client.route.Role;
import dev.pgopt.client.route.internal.HealthChecker;
import dev.pgopt.client.route.internal.Intent;
import dev.pgopt.client.route.internal.Node;
import dev.pgopt.client.route.internal.ReplicaSelector;
import dev.pgopt.client.route.internal.RoutedConnection;
import dev.pgopt.client.route.internal.Router;
import dev.pgopt.connect.DatabaseTarget;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLNonTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.logging.Logger;
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
  private final WorkRunner runner;
  private final List<Node> nodes;
  private final ThreadLocal<ConsistencySession> sessions = new ThreadLocal<>();
  private volatile boolean sessionsUsed;
  private volatile PrintWriter logWriter;
  private volatile boolean closed;

  private PgoptDataSource(PgoptConfig config, Router router, HealthChecker checker, List<Node> nodes) {
    this.router = router;
    this.checker = checker;
    this.nodes = nodes;
    this.observer = config.observation().map(StatementObserver::new).orElse(null);
    Retrier readRetrier = new Retrier("pgopt-read", config.retry(), config.random());
    Retrier txRetrier = new Retrier("pgopt-tx", config.retry(), config.random());
    this.runner = new WorkRunner(router, observer, readRetrier, txRetrier, this::currentSession,
        config.pgBouncerTransactionMode() ? config.writeStatementTimeout() : null);
    config.meterRegistry().ifPresent(r -> ClientMeters.register(r, nodes, router, readRetrier, txRetrier));
  }

  /** Settings one by one; {@link PgoptDataSourceBuilder#build()} starts the data source. */
  public static PgoptDataSourceBuilder builder() {
    return new PgoptDataSourceBuilder();
  }

  /**
   * Checks every node (reachable, and primary or standby as configured), opens a pool per node and runs the first
   * health check. Fails with one line naming the node and what to do; nothing it opened stays open then.
   */
  public static PgoptDataSource start(PgoptConfig config) {
    Objects.requireNonNull(config, "config");
    ClientSettings settings = new ClientSettings(config.connectTimeout(), config.connectionTimeout(),
        config.primaryPoolSize(), config.replicaPoolSize(), config.writeStatementTimeout(), config.readStatementTimeout(),
        config.pgBouncerTransactionMode(), config.startWithoutReplicas(), config.circuitBreaker());
    NodeFactory factory = new NodeFactory(settings);
    List<NodeSpec> specs = specs(config, factory);
    for (NodeSpec s : specs) {
      // throws on a wrong role or an unreachable node; an unreachable replica passes when startWithoutReplicas
      factory.verify(s);
    }
    List<Node> nodes = new ArrayList<>();
    HealthChecker checker = null;
    try {
      for (NodeSpec s : specs) {
        nodes.add(factory.create(s, config.meterRegistry().orElse(null), config.nanoTime(), config.clock().instant()));
      }
      Router router = new Router(nodes.get(0), nodes.subList(1, nodes.size()),
          ReplicaSelector.of(config.strategy(), config.random()), config.preferredZone().orElse(null),
          config.maxLagBytes(), config.maxLag(), config.readFallback(), config.readYourWritesWait(), config.nanoTime(),
          config.clock(), listener(config));
      checker = new HealthChecker(router, node -> factory.openDirect(specOf(specs, node), "pgopt-health",
          config.probeTimeout()), config.nanoTime());
      checker.checkNow();
      checker.start(config.healthCheckInterval());
      return new PgoptDataSource(config, router, checker, List.copyOf(nodes));
    } catch (RuntimeException e) {
      if (checker != null) {
        checker.close();
      }
      nodes.forEach(n -> n.pool().close());
      throw e instanceof ClientConfigurationException ? e
          : new ClientConfigurationException("cannot start the data source: " + e.getMessage(), e);
    }
  }

  private static List<NodeSpec> specs(PgoptConfig config, NodeFactory factory) {
    if (config.cluster().isPresent()) {
      return ClusterDiscovery.discover(config.cluster().get(), factory, config.connectTimeout());
    }
    DatabaseTarget p = config.primary().orElseThrow();
    List<NodeSpec> specs = new ArrayList<>();
    specs.add(new NodeSpec("primary", Role.PRIMARY, p, p.endpoints().get(0), 1, null));
    for (PgoptConfig.Replica r : config.replicas()) {
      specs.add(new NodeSpec(r.name(), Role.REPLICA, r.target(), r.target().endpoints().get(0), r.weight(),
          r.zone().orElse(null)));
    }
    return specs;
  }

  private static NodeSpec specOf(List<NodeSpec> specs, Node node) {
    return specs.stream().filter(s -> s.name().equals(node.name())).findFirst().orElseThrow();
  }

  /** The application's listeners and the transition counter, as one; null when there is neither. */
  private static NodeListener listener(PgoptConfig config) {
    List<NodeListener> all = new ArrayList<>(config.listeners());
    config.meterRegistry().ifPresent(r -> all.add(ClientMeters.transitions(r)));
    if (all.isEmpty()) {
      return null;
    }
    return t -> {
      for (NodeListener l : all) {
        l.onTransition(t);
      }
    };
  }

  /**
   * A connection routed at first use: to a replica if {@code setReadOnly(true)} was called before, else the primary.
   *
   * @throws SQLException (SQLSTATE 08003) once the data source is closed
   */
  @Override
  public Connection getConnection() throws SQLException {
    ensureOpen();
    return new RoutedConnection(router, observer, Intent.BY_READ_ONLY_FLAG, currentSession(), null);
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
    ensureOpen();
    return runner.read(label, null, work);
  }

  /**
   * A read that must see the write {@code token} marks (from {@link Committed#token()}, or received from another
   * service): it goes to a replica that has replayed it, waiting up to {@code readYourWritesWait}, else the primary.
   */
  public <T> T read(ConsistencyToken token, String label, SqlFunction<T> work) throws SQLException {
    Objects.requireNonNull(token, "token");
    ensureOpen();
    return runner.read(label, token, work);
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
    ensureOpen();
    return runner.tx(label, work);
  }

  private void ensureOpen() throws SQLException {
    if (closed) {
      throw new SQLNonTransientConnectionException("this PgoptDataSource is closed: build a new one", "08003");
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

  /** Closes the pools, the health checker and the observer; later borrows fail (SQLSTATE 08003). */
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
    public Connection getConnection() throws SQLException {
      ensureOpen();
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

}
