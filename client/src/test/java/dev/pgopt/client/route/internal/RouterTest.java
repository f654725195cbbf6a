package dev.pgopt.client.route.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.pgopt.client.ConsistencyToken;
import dev.pgopt.client.NodeUnavailableException;
import dev.pgopt.client.route.NodeState;
import dev.pgopt.client.route.NodeTransition;
import dev.pgopt.client.route.ReadFallback;
import dev.pgopt.client.route.Role;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Routing decisions on stub connections (as HikariCP's own tests use a stub driver): no server, so every case of lag,
 * role, zone, token and fallback is set up exactly and runs in milliseconds. The real-server behaviour is covered by
 * the client's integration tests.
 */
class RouterTest {
  private static final long MAX_LAG_BYTES = 1_000_000;
  private final List<HikariDataSource> pools = new ArrayList<>();
  private final List<NodeTransition> transitions = new ArrayList<>();

  @AfterEach
  void close() {
    pools.forEach(HikariDataSource::close);
  }

  /** A connection that answers what HikariCP asks, and {@code replayLsn} to the replay-position query. */
  private static Connection stub(AtomicLong replayLsn) {
    ResultSet rs = (ResultSet) Proxy.newProxyInstance(RouterTest.class.getClassLoader(), new Class<?>[] {ResultSet.class},
        (p, m, a) -> switch (m.getName()) {
          case "next" -> true;
          case "getLong" -> replayLsn.get();
          default -> defaultFor(m.getReturnType());
        });
    PreparedStatement ps = (PreparedStatement) Proxy.newProxyInstance(RouterTest.class.getClassLoader(),
        new Class<?>[] {PreparedStatement.class}, (p, m, a) -> m.getName().equals("executeQuery") ? rs : defaultFor(m.getReturnType()));
    return (Connection) Proxy.newProxyInstance(RouterTest.class.getClassLoader(), new Class<?>[] {Connection.class},
        (p, m, a) -> switch (m.getName()) {
          case "isValid", "getAutoCommit" -> true;
          case "getTransactionIsolation" -> Connection.TRANSACTION_READ_COMMITTED;
          case "prepareStatement" -> ps;
          case "toString" -> "stub";
          case "hashCode" -> System.identityHashCode(p);
          case "equals" -> p == a[0];
          default -> defaultFor(m.getReturnType());
        });
  }

  private static Object defaultFor(Class<?> type) {
    if (type == boolean.class) {
      return false;
    }
    if (type == int.class || type == long.class) {
      return type == int.class ? (Object) 0 : (Object) 0L;
    }
    return null;
  }

  private Node node(String name, Role role, String zone, NodeHealth health, AtomicLong replayLsn) {
    PoolConnector connector = new PoolConnector(() -> stub(replayLsn));
    HikariConfig config = new HikariConfig();
    config.setDataSource(connector);
    config.setPoolName(name);
    config.setMaximumPoolSize(2);
    config.setMinimumIdle(0);
    config.setConnectionTimeout(250);
    config.setInitializationFailTimeout(-1);
    HikariDataSource pool = new HikariDataSource(config);
    pools.add(pool);
    Node n = new Node(name, role, zone, 1, name + ":5432", pool, connector, CircuitBreaker.ofDefaults(name), System::nanoTime,
        Instant.EPOCH);
    n.health(health);
    return n;
  }

  private static NodeHealth primaryAt(long lsn) {
    return new NodeHealth(true, false, lsn, 0, 0, 1e6, null);
  }

  private static NodeHealth replica(long replayLsn, long lagBytes) {
    return new NodeHealth(true, true, replayLsn, lagBytes, 0, 1e6, null);
  }

  private Router router(Node primary, List<Node> replicas, String zone, ReadFallback fallback) {
    Router r = new Router(primary, replicas, new RoundRobinSelector(), zone, MAX_LAG_BYTES, Duration.ofSeconds(10), fallback,
        Duration.ZERO, System::nanoTime, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), transitions::add);
    r.refresh();
    return r;
  }

  private static String readFrom(Router r, ConsistencyToken token) throws Exception {
    Lease l = r.read(token);
    l.connection().close();
    l.node().returned();
    return l.node().name();
  }

  @Test
  void writesGoToThePrimaryAndReadsToAHealthyReplica() throws Exception {
    AtomicLong lsn = new AtomicLong(100);
    Router r = router(node("p", Role.PRIMARY, null, primaryAt(100), lsn),
        List.of(node("r1", Role.REPLICA, null, replica(100, 0), lsn)), null, ReadFallback.PRIMARY);
    Lease w = r.write();
    assertThat(w.node().name()).isEqualTo("p");
    w.connection().close();
    w.node().returned();
    assertThat(readFrom(r, null)).isEqualTo("r1");
  }

  @Test
  void aLaggingReplicaTakesNoReadsAndTheFallbackDecidesWhere() throws Exception {
    AtomicLong lsn = new AtomicLong(100);
    Node p = node("p", Role.PRIMARY, null, primaryAt(100), lsn);
    Node lagging = node("r1", Role.REPLICA, null, replica(100, MAX_LAG_BYTES + 1), lsn);
    assertThat(readFrom(router(p, List.of(lagging), null, ReadFallback.PRIMARY), null)).isEqualTo("p");
    assertThat(transitions).anySatisfy(t -> {
      assertThat(t.node()).isEqualTo("r1");
      assertThat(t.to()).isEqualTo(NodeState.LAGGING);
    });
    Router strict = router(p, List.of(lagging), null, ReadFallback.FAIL);
    assertThatThrownBy(() -> strict.read(null)).isInstanceOf(NodeUnavailableException.class)
        .hasMessageContaining("may not fall back to the primary").hasMessageContaining("over the limit");
  }

  @Test
  void aReadThatMustSeeAWriteNoReplicaHasReplayedGoesToThePrimary() throws Exception {
    AtomicLong replayed = new AtomicLong(500);
    Node p = node("p", Role.PRIMARY, null, primaryAt(1000), replayed);
    Router r = router(p, List.of(node("r1", Role.REPLICA, null, replica(500, 0), replayed)), null, ReadFallback.PRIMARY);
    ConsistencyToken caughtUp = ConsistencyToken.ofLsn(400);
    assertThat(readFrom(r, caughtUp)).isEqualTo("r1");
    ConsistencyToken ahead = ConsistencyToken.ofLsn(900);
    // the replica, asked directly, has still replayed only up to 500: the primary serves it
    assertThat(readFrom(r, ahead)).isEqualTo("p");
    // once it has replayed the write, the replica serves it
    replayed.set(900);
    assertThat(readFrom(r, ahead)).isEqualTo("r1");
  }

  @Test
  void replicasInTheApplicationsZoneArePreferred() throws Exception {
    AtomicLong lsn = new AtomicLong(100);
    Node p = node("p", Role.PRIMARY, null, primaryAt(100), lsn);
    Router r = router(p, List.of(node("far", Role.REPLICA, "us-east-1b", replica(100, 0), lsn),
        node("near", Role.REPLICA, "us-east-1a", replica(100, 0), lsn)), "us-east-1a", ReadFallback.PRIMARY);
    for (int i = 0; i < 5; i++) {
      assertThat(readFrom(r, null)).isEqualTo("near");
    }
  }

  @Test
  void aPrimaryThatBecameAStandbyTakesNoWritesAndAPromotedReplicaNoReads() throws Exception {
    AtomicLong lsn = new AtomicLong(100);
    Node demoted = node("p", Role.PRIMARY, null, new NodeHealth(true, true, 100, 0, 0, 1e6, null), lsn);
    Node promoted = node("r1", Role.REPLICA, null, primaryAt(100), lsn);
    Router r = router(demoted, List.of(promoted), null, ReadFallback.FAIL);
    assertThatThrownBy(r::write).isInstanceOf(NodeUnavailableException.class).hasMessageContaining("in recovery");
    assertThatThrownBy(() -> r.read(null)).isInstanceOf(NodeUnavailableException.class).hasMessageContaining("promoted");
    assertThat(transitions).extracting(NodeTransition::to).containsOnly(NodeState.WRONG_ROLE);
  }
}
