package dev.pgopt.client.route.internal;

/**
 * One health check's view of a node. Immutable: the checker publishes a new one per round, readers never lock.
 *
 * @param walLsn the primary's insert position, or the replica's replay position; -1 when unknown
 */
public record NodeHealth(boolean reachable, boolean inRecovery, long walLsn, long lagBytes, long lagMillis,
    double roundTripNanos, String problem) {

  static NodeHealth unknown() {
    return new NodeHealth(true, false, -1, -1, -1, 0, null);
  }

  NodeHealth down(String why) {
    return new NodeHealth(false, inRecovery, walLsn, lagBytes, lagMillis, roundTripNanos, why);
  }
}
