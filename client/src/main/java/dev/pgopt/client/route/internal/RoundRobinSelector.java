package dev.pgopt.client.route.internal;

import java.util.concurrent.atomic.AtomicInteger;

final class RoundRobinSelector implements ReplicaSelector {
  private final AtomicInteger next = new AtomicInteger();

  @Override
  public Node choose(Node[] candidates, int count) {
    return candidates[Math.floorMod(next.getAndIncrement(), count)];
  }
}
