package dev.pgopt.client.route.internal;

/** Lowest moving average of health-check round trips. */
final class LatencySelector implements ReplicaSelector {
  @Override
  public Node choose(Node[] candidates, int count) {
    Node best = candidates[0];
    for (int i = 1; i < count; i++) {
      if (candidates[i].health().roundTripNanos() < best.health().roundTripNanos()) {
        best = candidates[i];
      }
    }
    return best;
  }
}
