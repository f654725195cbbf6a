package dev.pgopt.client.route.internal;

import java.util.concurrent.atomic.AtomicInteger;

/** Fewest connections borrowed through us; ties rotate so equal replicas share the load. */
final class LeastConnectionsSelector implements ReplicaSelector {
  private final AtomicInteger offset = new AtomicInteger();

  @Override
  public Node choose(Node[] candidates, int count) {
    int start = Math.floorMod(offset.getAndIncrement(), count);
    Node best = null;
    int bestBorrowed = Integer.MAX_VALUE;
    for (int i = 0; i < count; i++) {
      Node n = candidates[(start + i) % count];
      int b = n.borrowed();
      if (b < bestBorrowed) {
        best = n;
        bestBorrowed = b;
      }
    }
    return best;
  }
}
