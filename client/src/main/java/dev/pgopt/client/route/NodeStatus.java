package dev.pgopt.client.route;

/**
 * What the data source knows about one node, for dashboards and tests.
 *
 * @param routable whether reads (replica) or writes (primary) may go there now
 * @param lagBytes WAL bytes the replica has yet to replay (0 for the primary), -1 when unknown
 * @param lagMillis how long ago the primary was where the replica is now (0 when caught up), -1 when unknown
 * @param roundTripMillis moving average of health-check round trips
 * @param breaker the circuit breaker's state: CLOSED, OPEN, HALF_OPEN, ...
 * @param problem why it is not routable, or null
 * @param state the node's state as of the last transition
 * @param since when it entered {@code state} (the data source's start for the first)
 */
public record NodeStatus(String name, Role role, String zone, boolean routable, boolean reachable, long lagBytes,
    long lagMillis, double roundTripMillis, String breaker, int borrowed, String problem, NodeState state,
    java.time.Instant since) {}
