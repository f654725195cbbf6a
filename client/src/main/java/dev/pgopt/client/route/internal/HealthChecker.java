package dev.pgopt.client.route.internal;

import dev.pgopt.client.internal.WalPosition;
import dev.pgopt.client.route.Role;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Probes every node on its own connection (outside the pools, so a full pool never hides a healthy node): role, WAL
 * position and round trip. Replica lag in bytes is the primary's insert position minus the replica's replay position;
 * lag in time is how long ago the primary was where the replica is now, from the checker's own samples of the primary,
 * so it needs no clock agreement between hosts and reads 0 on an idle primary.
 */
public final class HealthChecker implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.pgopt.client.health");
  private static final String PRIMARY_PROBE = "SELECT pg_is_in_recovery(), CASE WHEN pg_is_in_recovery() THEN NULL"
      + " ELSE (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint END, current_setting('wal_block_size')::int";
  private static final String REPLICA_PROBE = "SELECT pg_is_in_recovery(),"
      + " (coalesce(pg_last_wal_replay_lsn(), '0/0'::pg_lsn) - '0/0'::pg_lsn)::bigint";
  private static final double EWMA_WEIGHT = 0.3;
  private static final Duration RECOVERY_TICK = Duration.ofMillis(100);
  private static final Duration TRIAL_WAIT = Duration.ofMillis(500);

  /** Opens a probe connection to a node; its socket timeout bounds each probe. */
  @FunctionalInterface
  public interface ProbeConnector {
    Connection open(Node node) throws SQLException;
  }

  private final Router router;
  private final ProbeConnector connector;
  private final LongSupplier nanoTime;
  private final PrimaryPositions positions = new PrimaryPositions(4096);
  private final Map<Node, Connection> probes = new HashMap<>();
  private final Map<Node, Long> probedAt = new HashMap<>();
  private long intervalNanos;
  private ScheduledExecutorService scheduler;

  public HealthChecker(Router router, ProbeConnector connector, LongSupplier nanoTime) {
    this.router = router;
    this.connector = connector;
    this.nanoTime = nanoTime;
  }

  /**
   * Probes every node each {@code interval}, and a node that is down or whose breaker is not closed every {@link
   * #RECOVERY_TICK} at most, so a node that comes back takes work again within a fraction of a second.
   */
  public void start(Duration interval) {
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "pgopt-health");
      t.setDaemon(true);
      return t;
    });
    synchronized (this) {
      intervalNanos = interval.toNanos();
    }
    long tick = Math.min(interval.toNanos(), RECOVERY_TICK.toNanos());
    scheduler.scheduleWithFixedDelay(this::checkQuietly, tick, tick, TimeUnit.NANOSECONDS);
  }

  private void checkQuietly() {
    try {
      check(false);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "pgopt health check failed: " + e.getMessage());
    }
  }

  /** One round over all nodes; synchronized because the scheduler and start-up both call it. */
  public synchronized void checkNow() {
    check(true);
  }

  private synchronized void check(boolean all) {
    long now = nanoTime.getAsLong();
    if (all || due(router.primary(), now)) {
      probe(router.primary());
    }
    for (Node r : router.replicas()) {
      if (all || due(r, now)) {
        probe(r);
      }
    }
    router.refresh();
  }

  private boolean due(Node n, long now) {
    n.settle();
    Long last = probedAt.get(n);
    return last == null || now - last >= intervalNanos || !n.health().reachable()
        || n.breaker().getState() != CircuitBreaker.State.CLOSED;
  }

  private void probe(Node node) {
    NodeHealth before = node.health();
    long start = nanoTime.getAsLong();
    probedAt.put(node, start);
    try {
      Connection c = probes.get(node);
      if (c == null) {
        c = connector.open(node);
        probes.put(node, c);
      }
      boolean inRecovery;
      long lsn;
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(node.role() == Role.PRIMARY ? PRIMARY_PROBE : REPLICA_PROBE)) {
        rs.next();
        inRecovery = rs.getBoolean(1);
        lsn = rs.getLong(2);
        if (rs.wasNull()) {
          lsn = -1;
        } else if (node.role() == Role.PRIMARY) {
          lsn = WalPosition.comparable(lsn, rs.getInt(3));
        }
      }
      long now = nanoTime.getAsLong();
      double rtt = before.roundTripNanos() == 0 ? now - start
          : EWMA_WEIGHT * (now - start) + (1 - EWMA_WEIGHT) * before.roundTripNanos();
      NodeHealth after;
      if (node.role() == Role.PRIMARY) {
        if (lsn >= 0) {
          positions.record(lsn, now);
        }
        after = new NodeHealth(true, inRecovery, lsn, 0, 0, rtt, null);
      } else {
        long primaryLsn = positions.latest();
        long lagBytes = primaryLsn < 0 ? -1 : Math.max(0, primaryLsn - lsn);
        long lagMillis = primaryLsn < 0 ? -1 : positions.millisBehind(lsn, now);
        after = new NodeHealth(true, inRecovery, lsn, lagBytes, lagMillis, rtt, null);
      }
      if (!before.reachable()) {
        // Connections pooled before the outage point at a dead backend.
        node.evictPooledConnections();
      }
      boolean wrongRole = (node.role() == Role.PRIMARY) == inRecovery;
      if (wrongRole && before.inRecovery() != inRecovery) {
        // A failover behind a DNS name: this host changed role. Drop the probe and pooled connections so the next
        // ones resolve the name again.
        LOG.log(Level.WARNING, "pgopt: " + node + " changed role (in recovery: " + inRecovery + ")");
        closeProbe(node);
        node.evictPooledConnections();
      }
      node.health(after);
      if (node.breaker().getState() != CircuitBreaker.State.CLOSED && !wrongRole) {
        tryThroughPool(node);
      }
    } catch (SQLException e) {
      closeProbe(node);
      if (node.breaker().getState() == CircuitBreaker.State.CLOSED) {
        node.failed(nanoTime.getAsLong() - start, e);
      }
      node.health(before.down("health check failed: " + Node.oneLine(e)));
    }
  }

  /**
   * The node answers: the health checker makes the breaker's trial itself, through the pool, so no request waits on a
   * pool that is still filling, and closes the breaker when a pooled connection works.
   */
  private void tryThroughPool(Node node) {
    long start = nanoTime.getAsLong();
    try (Connection c = node.borrowForTrial(TRIAL_WAIT.toMillis())) {
      if (c.isValid(1)) {
        node.breaker().transitionToClosedState();
      }
    } catch (SQLException e) {
      LOG.log(Level.DEBUG, () -> "pgopt: " + node + " answers probes but its pool is not ready yet ("
          + Node.oneLine(e) + ", " + (nanoTime.getAsLong() - start) / 1_000_000 + " ms)");
    }
  }

  private void closeProbe(Node node) {
    Connection c = probes.remove(node);
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // the connection is already broken
      }
    }
  }

  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
    for (Node n : Map.copyOf(probes).keySet()) {
      closeProbe(n);
    }
  }
}
