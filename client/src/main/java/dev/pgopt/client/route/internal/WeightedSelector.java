package dev.pgopt.client.route.internal;

import java.util.random.RandomGenerator;

/** Random in proportion to weight: stateless, so it needs no lock, and fair over many reads. */
final class WeightedSelector implements ReplicaSelector {
  private final RandomGenerator random;

  WeightedSelector(RandomGenerator random) {
    this.random = random;
  }

  @Override
  public Node choose(Node[] candidates, int count) {
    long total = 0;
    for (int i = 0; i < count; i++) {
      total += candidates[i].weight();
    }
    long point = random.nextLong(total);
    for (int i = 0; i < count; i++) {
      point -= candidates[i].weight();
      if (point < 0) {
        return candidates[i];
      }
    }
    return candidates[count - 1];
  }
}
