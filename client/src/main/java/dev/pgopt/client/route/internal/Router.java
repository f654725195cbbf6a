package dev.pgopt.client.route.internal;

import dev.pgopt.client.ConsistencyToken;
import dev.pgopt.client.NodeUnavailableException;
import dev.pgopt.client.route.NodeListener;
import dev.pgopt.client.route.NodeState;
import dev.pgopt.client.route.NodeTransition;
import dev.pgopt.client.route.ReadFallback;
import dev.pgopt.client.route.Role;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Decides where work goes, from intent alone: writes to the primary; reads to a replica that is reachable, within the
 * lag limit, permitted by its breaker and, for a reader holding a consistency token, caught up with that token.
 */
public final class Router {
  private static final System.Logger LOG = System.getLogger("dev.pgopt.client.health");
  private static final String REPLAY_LSN = "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint";

  private final Node primary;
  private final Node[] replicas;
  private final ReplicaSelector selector;
  private final String localZone;
  private final long maxLagBytes;
  private final long maxLagMillis;
  private final ReadFallback fallback;
  private final long replayWaitNanos;
  private final LongSupplier nanoTime;
  private final Clock clock;
  private final NodeListener listener;
  private volatile Node[] eligible = new Node[0];

  /** @param listener hears node transitions, or null */
  public Router(Node primary, List<Node> replicas, ReplicaSelector selector, String localZone, long maxLagBytes,
      Duration maxLag, ReadFallback fallback, Duration replayWait, LongSupplier nanoTime, Clock clock,
      NodeListener listener) {
    this.primary = primary;
    this.replicas = replicas.toArray(new Node[0]);
    this.selector = selector;
    this.localZone = localZone;
    this.maxLagBytes = maxLagBytes;
    this.maxLagMillis = maxLag.toMillis();
    this.fallback = fallback;
    this.replayWaitNanos = replayWait.toNanos();
    this.nanoTime = nanoTime;
    this.clock = clock;
    this.listener = listener;
  }

  public Node primary() {
    return primary;
  }

  public List<Node> replicas() {
    return List.of(replicas);
  }

  /** Recomputes which replicas may serve reads; called after each health round and when a node goes down. */
  public void refresh() {
    List<Node> ok = new ArrayList<>(replicas.length);
    for (Node n : replicas) {
      if (problem(n) == null) {
        ok.add(n);
      }
    }
    eligible = ok.toArray(new Node[0]);
    observe(primary);
    for (Node n : replicas) {
      observe(n);
    }
  }

  private void observe(Node n) {
    String why = problem(n);
    NodeState to = stateOf(n, why);
    if (to == n.state()) {
      return;
    }
    Instant at = clock.instant();
    NodeState from = n.transition(to, at);
    if (from == null) {
      return;
    }
    LOG.log(to == NodeState.SERVING ? Level.INFO : Level.WARNING, "pgopt: " + n + " " + from + " -> " + to
        + (why == null ? "" : ": " + why));
    if (listener != null) {
      try {
        listener.onTransition(new NodeTransition(n.name(), n.role(), from, to,
            to == NodeState.BREAKER_OPEN ? "circuit breaker open" : why, at));
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "pgopt: a node listener failed: " + e);
      }
    }
  }

  private NodeState stateOf(Node n, String problem) {
    NodeHealth h = n.health();
    if (!h.reachable()) {
      return NodeState.UNREACHABLE;
    }
    if (problem != null) {
      return (n.role() == Role.PRIMARY) == h.inRecovery() ? NodeState.WRONG_ROLE : NodeState.LAGGING;
    }
    return n.breaker().getState() == CircuitBreaker.State.OPEN ? NodeState.BREAKER_OPEN : NodeState.SERVING;
  }

  /** Why a node may not take work now, or null. */
  public String problem(Node n) {
    NodeHealth h = n.health();
    if (!h.reachable()) {
      return h.problem() == null ? "unreachable" : h.problem();
    }
    if (n.role() == Role.PRIMARY) {
      return h.inRecovery() ? "the primary is in recovery (a standby now)" : null;
    }
    if (!h.inRecovery()) {
      return "not in recovery: it was promoted and is no longer a replica";
    }
    if (h.lagBytes() > maxLagBytes) {
      return "lag " + h.lagBytes() + " bytes is over the limit of " + maxLagBytes;
    }
    if (h.lagMillis() > maxLagMillis) {
      return "lag " + h.lagMillis() + " ms is over the limit of " + maxLagMillis + " ms";
    }
    return null;
  }

  public Lease write() throws SQLException {
    Node p = primary;
    String why = problem(p);
    if (why != null) {
      throw new NodeUnavailableException("writes cannot go to " + p + ": " + why, null);
    }
    if (!p.permits()) {
      throw new NodeUnavailableException("writes cannot go to " + p + ": its circuit breaker is open after repeated failures", null);
    }
    try {
      return new Lease(p, p.borrow());
    } catch (SQLException e) {
      throw new NodeUnavailableException("writes cannot go to " + p + ": " + Node.oneLine(e), e);
    }
  }

  /** A connection for a read that must see {@code token} (null: any healthy replica will do). */
  public Lease read(ConsistencyToken token) throws SQLException {
    if (token != null && token.requiresPrimary()) {
      return write();
    }
    Node[] candidates = eligible.clone();
    int count = candidates.length;
    if (token != null) {
      count = keepCaughtUp(candidates, count, token.lsn());
      if (count == 0 && eligible.length > 0) {
        Lease waited = readAfterReplay(token.lsn());
        if (waited != null) {
          return waited;
        }
      }
    }
    while (count > 0) {
      Node n = pick(candidates, count);
      count = remove(candidates, count, n);
      if (!n.permits()) {
        continue;
      }
      try {
        return new Lease(n, n.borrow());
      } catch (SQLException e) {
        refresh();
      }
    }
    return readFromPrimary();
  }

  private Lease readFromPrimary() throws SQLException {
    if (fallback == ReadFallback.FAIL) {
      throw new NodeUnavailableException("no replica can serve this read and reads may not fall back to the primary: "
          + replicaProblems(), null);
    }
    return write();
  }

  /** The token is newer than any replica's last known replay position: ask one replica directly, waiting up to the bound. */
  private Lease readAfterReplay(long lsn) throws SQLException {
    Node[] candidates = eligible.clone();
    Node n = pick(candidates, candidates.length);
    if (!n.permits()) {
      return null;
    }
    Connection c;
    try {
      c = n.borrow();
    } catch (SQLException e) {
      refresh();
      return null;
    }
    long deadline = nanoTime.getAsLong() + replayWaitNanos;
    long pauseNanos = 500_000;
    try (PreparedStatement ps = c.prepareStatement(REPLAY_LSN)) {
      while (true) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (Long.compareUnsigned(rs.getLong(1), lsn) >= 0) {
            return new Lease(n, c);
          }
        }
        if (nanoTime.getAsLong() + pauseNanos > deadline) {
          break;
        }
        LockSupport.parkNanos(pauseNanos);
        pauseNanos = Math.min(pauseNanos * 2, 10_000_000);
      }
    } catch (SQLException e) {
      // fall through to the primary, which always has the write
    }
    c.close();
    n.returned();
    return null;
  }

  private int keepCaughtUp(Node[] candidates, int count, long lsn) {
    int kept = 0;
    for (int i = 0; i < count; i++) {
      if (Long.compareUnsigned(candidates[i].health().walLsn(), lsn) >= 0 && candidates[i].health().walLsn() >= 0) {
        candidates[kept++] = candidates[i];
      }
    }
    return kept;
  }

  private Node pick(Node[] candidates, int count) {
    if (localZone != null) {
      int local = 0;
      Node[] inZone = new Node[count];
      for (int i = 0; i < count; i++) {
        if (localZone.equals(candidates[i].zone())) {
          inZone[local++] = candidates[i];
        }
      }
      if (local > 0) {
        return selector.choose(inZone, local);
      }
    }
    return selector.choose(candidates, count);
  }

  private static int remove(Node[] candidates, int count, Node n) {
    for (int i = 0; i < count; i++) {
      if (candidates[i] == n) {
        candidates[i] = candidates[count - 1];
        return count - 1;
      }
    }
    return count;
  }

  private String replicaProblems() {
    if (replicas.length == 0) {
      return "none is configured";
    }
    StringBuilder sb = new StringBuilder();
    for (Node n : replicas) {
      String p = problem(n);
      sb.append(sb.isEmpty() ? "" : "; ").append(n).append(": ")
          .append(p == null ? "circuit breaker " + n.breaker().getState() : p);
    }
    return sb.toString();
  }

  public boolean routable(Node n) {
    return problem(n) == null && n.breaker().getState() != CircuitBreaker.State.OPEN;
  }
}
