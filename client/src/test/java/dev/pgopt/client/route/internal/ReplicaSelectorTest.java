package dev.pgopt.client.route.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.client.route.Role;
import dev.pgopt.client.route.RoutingStrategy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The strategies as pure logic, on nodes whose health is set by hand (no pools are touched). */
class ReplicaSelectorTest {
  private static Node node(String name, int weight, double rttMillis) {
    Node n = new Node(name, Role.REPLICA, null, weight, name + ":5432", null, new PoolConnector(() -> null),
        CircuitBreaker.ofDefaults(name),
        System::nanoTime, java.time.Instant.EPOCH);
    n.health(new NodeHealth(true, true, 0, 0, 0, rttMillis * 1e6, null));
    return n;
  }

  @Test
  void latencyPicksTheLowestMovingAverage() {
    Node[] nodes = {node("far", 1, 4.0), node("near", 1, 0.3), node("mid", 1, 1.1)};
    ReplicaSelector s = ReplicaSelector.of(RoutingStrategy.LATENCY, new SplittableRandom(1));
    assertThat(s.choose(nodes, 3).name()).isEqualTo("near");
    assertThat(s.choose(nodes, 1).name()).isEqualTo("far");
  }

  @Test
  void weightedFollowsWeightsWithASeededSource() {
    Node[] nodes = {node("a", 1, 1), node("b", 9, 1)};
    ReplicaSelector s = ReplicaSelector.of(RoutingStrategy.WEIGHTED, new SplittableRandom(3));
    Map<String, Integer> picks = new HashMap<>();
    for (int i = 0; i < 10_000; i++) {
      picks.merge(s.choose(nodes, 2).name(), 1, Integer::sum);
    }
    assertThat(picks.get("b")).isBetween(8_800, 9_200);
  }

  @Test
  void roundRobinAndLeastConnectionsRotateOnTies() {
    Node[] nodes = {node("a", 1, 1), node("b", 1, 1), node("c", 1, 1)};
    ReplicaSelector rr = ReplicaSelector.of(RoutingStrategy.ROUND_ROBIN, new SplittableRandom(1));
    assertThat(rr.choose(nodes, 3).name() + rr.choose(nodes, 3).name() + rr.choose(nodes, 3).name()).isEqualTo("abc");
    ReplicaSelector least = ReplicaSelector.of(RoutingStrategy.LEAST_CONNECTIONS, new SplittableRandom(1));
    assertThat(least.choose(nodes, 3).name() + least.choose(nodes, 3).name()).isEqualTo("ab");
  }
}
