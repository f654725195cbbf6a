package dev.pgopt.client.route.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.client.ConsistencyToken;
import dev.pgopt.client.NodeUnavailableException;
import dev.pgopt.client.route.NodeState;
import dev.pgopt.client.route.NodeTransition;
import dev.pgopt.client.route.ReadFallback;
import dev.pgopt.client.route.Role;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Routing decisions on stub connections ({@link StubNodes}): no server, so every case of lag,
 * role, zone, token and fallback is set up exactly and runs in milliseconds. The real-server behaviour is covered by
 * the client's integration tests.
 */
class RouterTest {
  private static final long MAX_LAG_BYTES = StubNodes.MAX_LAG_BYTES;
  private final StubNodes stubs = new StubNodes();
  private final List<NodeTransition> transitions = stubs.transitions;

  @AfterEach
  void close() {
    stubs.close();
  }

  private Node node(String name, Role role, String zone, NodeHealth health, AtomicLong replayLsn) {
    return stubs.node(name, role, zone, health, replayLsn);
  }

  private static NodeHealth primaryAt(long lsn) {
    return StubNodes.primaryAt(lsn);
  }

  private static NodeHealth replica(long replayLsn, long lagBytes) {
    return StubNodes.replica(replayLsn, lagBytes);
  }

  private Router router(Node primary, List<Node> replicas, String zone, ReadFallback fallback) {
    return stubs.router(primary, replicas, zone, fallback);
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
