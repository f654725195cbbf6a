package dev.pgopt.client.route;

import java.time.Instant;

/**
 * A node changed state, e.g. a replica fell behind or the primary came back.
 *
 * @param reason what the router saw (the problem text), or null when the node is serving again
 */
public record NodeTransition(String node, Role role, NodeState from, NodeState to, String reason, Instant at) {}
