package dev.pgopt.client.route.internal;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import dev.pgopt.client.route.NodeState;
import dev.pgopt.client.route.NodeStatus;
import dev.pgopt.client.route.Role;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/** One server: its pool, circuit breaker, latest health and how many of its connections are out. */
public final class Node {
  private final String name;
  private final Role role;
  private final String zone;
  private final int weight;
  private final String address;
  private final HikariDataSource pool;
  private final CircuitBreaker breaker;
  private final LongSupplier nanoTime;
  // one counter per thread stripe: every borrow and return touches it, and a shared atomic makes threads queue
  private final LongAdder borrowed = new LongAdder();
  /** Whether borrow durations matter to the breaker (a slow-call threshold below the borrow timeout); else 0 is given. */
  private final boolean timeBorrows;
  /**
   * Successes are recorded in the breaker only while its window holds a failure. Recording one per borrow was the
   * largest cost pgopt added to a borrow (the window is shared by all threads); while the window holds only successes,
   * one more changes nothing. When a failure comes, the window is first filled with successes, as it would be had every
   * borrow been recorded, so the failure rate is the same. Only for count-based windows without slow-call timing.
   */
  private final boolean skipQuietSuccesses;
  private final int windowSize;
  private volatile boolean quiet = true;
  private final PoolConnector connector;
  private volatile NodeHealth health = NodeHealth.unknown();
  private volatile NodeState state = NodeState.SERVING;
  private volatile Instant since;

  public Node(String name, Role role, String zone, int weight, String address, HikariDataSource pool,
      PoolConnector connector, CircuitBreaker breaker, LongSupplier nanoTime, Instant createdAt) {
    this.name = name;
    this.role = role;
    this.zone = zone;
    this.weight = weight;
    this.address = address;
    this.pool = pool;
    this.connector = connector;
    this.breaker = breaker;
    this.nanoTime = nanoTime;
    this.since = createdAt;
    CircuitBreakerConfig config = breaker.getCircuitBreakerConfig();
    this.timeBorrows = pool != null && config.getSlowCallDurationThreshold().toMillis() <= pool.getConnectionTimeout();
    this.skipQuietSuccesses = !timeBorrows && config.getSlidingWindowType() == CircuitBreakerConfig.SlidingWindowType.COUNT_BASED;
    this.windowSize = config.getSlidingWindowSize();
  }

  public String name() {
    return name;
  }

  public Role role() {
    return role;
  }

  public String zone() {
    return zone;
  }

  public int weight() {
    return weight;
  }

  /** host:port, for messages. */
  public String address() {
    return address;
  }

  public NodeHealth health() {
    return health;
  }

  void health(NodeHealth h) {
    health = h;
    if (h.reachable()) {
      connector.nodeUp();
    } else {
      connector.nodeDown();
    }
  }

  public NodeState state() {
    return state;
  }

  /** Records a new state; returns the one it left, or null when {@code to} is the current one. */
  synchronized NodeState transition(NodeState to, Instant at) {
    NodeState from = state;
    if (to == from) {
      return null;
    }
    state = to;
    since = at;
    return from;
  }

  public CircuitBreaker breaker() {
    return breaker;
  }

  public HikariDataSource pool() {
    return pool;
  }

  public int borrowed() {
    return borrowed.intValue();
  }

  /** Whether the breaker lets a call through now; a true answer must be followed by a recorded outcome. */
  boolean permits() {
    return breaker.tryAcquirePermission();
  }

  /**
   * Borrows a pooled connection; the breaker must have permitted it. A failure to connect counts against the node
   * and marks it down until the next successful health check.
   */
  public Connection borrow() throws SQLException {
    long start = timeBorrows ? nanoTime.getAsLong() : 0;
    try {
      Connection c = pool.getConnection();
      if (!(quiet && skipQuietSuccesses && breaker.getState() == CircuitBreaker.State.CLOSED)) {
        breaker.onSuccess(timeBorrows ? nanoTime.getAsLong() - start : 0, TimeUnit.NANOSECONDS);
      }
      borrowed.increment();
      return c;
    } catch (SQLException e) {
      failed(timeBorrows ? nanoTime.getAsLong() - start : 0, e);
      health(health.down("cannot connect: " + oneLine(e)));
      return rethrow(e);
    }
  }

  /** A pooled connection for the health checker's breaker trial, waiting at most {@code millis}; not counted. */
  Connection borrowForTrial(long millis) throws SQLException {
    HikariPoolMXBean mx = pool.getHikariPoolMXBean();
    if (mx instanceof com.zaxxer.hikari.pool.HikariPool hp) {
      return hp.getConnection(millis);
    }
    return pool.getConnection();
  }

  private static Connection rethrow(SQLException e) throws SQLException {
    throw e;
  }

  /** Records a connection-class failure; see {@link #skipQuietSuccesses}. */
  void failed(long nanos, Throwable e) {
    if (quiet && skipQuietSuccesses) {
      synchronized (this) {
        if (quiet) {
          for (int i = 0; i < windowSize; i++) {
            breaker.onSuccess(0, TimeUnit.NANOSECONDS);
          }
          quiet = false;
        }
      }
    }
    breaker.onError(nanos, TimeUnit.NANOSECONDS, e);
  }

  /** Called by the health checker: once the window holds no failure again, successes need not be recorded. */
  void settle() {
    if (!quiet && breaker.getState() == CircuitBreaker.State.CLOSED
        && breaker.getMetrics().getNumberOfFailedCalls() == 0) {
      quiet = true;
    }
  }

  public void returned() {
    borrowed.decrement();
  }

  /**
   * A connection-class error (the server went away, was restarted or failed over): stop routing here until a health
   * check succeeds, and retire pooled connections so none of the stale ones is handed out again.
   */
  public void connectionLost(SQLException e) {
    failed(0, e);
    health(health.down("connection lost: " + oneLine(e)));
    evictPooledConnections();
  }

  void evictPooledConnections() {
    HikariPoolMXBean mx = pool.getHikariPoolMXBean();
    if (mx != null) {
      mx.softEvictConnections();
    }
  }

  public NodeStatus status(String problem) {
    NodeHealth h = health;
    boolean open = breaker.getState() == CircuitBreaker.State.OPEN;
    String why = problem != null ? problem : open ? "circuit breaker open after repeated connection failures" : null;
    return new NodeStatus(name, role, zone, why == null, h.reachable(), h.lagBytes(), h.lagMillis(),
        h.roundTripNanos() / 1e6, breaker.getState().name(), borrowed.intValue(), why, state, since);
  }

  static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  @Override
  public String toString() {
    return role.name().toLowerCase() + " '" + name + "' (" + address + ")";
  }
}
