package dev.pgopt.client.route.internal;

import dev.pgopt.client.route.RoutingStrategy;
import java.util.random.RandomGenerator;

/** Picks one of {@code count} candidates (the first {@code count} entries of the array, never empty). */
public interface ReplicaSelector {
  Node choose(Node[] candidates, int count);

  static ReplicaSelector of(RoutingStrategy strategy, RandomGenerator random) {
    return switch (strategy) {
      case ROUND_ROBIN -> new RoundRobinSelector();
      case WEIGHTED -> new WeightedSelector(random);
      case LEAST_CONNECTIONS -> new LeastConnectionsSelector();
      case LATENCY -> new LatencySelector();
    };
  }
}
