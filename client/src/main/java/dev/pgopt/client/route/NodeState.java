package dev.pgopt.client.route;

/** Whether a node takes work, and if not, the first reason why. */
public enum NodeState {
  /** Takes work: reads (a replica) or writes (the primary). */
  SERVING,
  /** The last health check or connection attempt failed. */
  UNREACHABLE,
  /** A replica further behind than the lag limit. */
  LAGGING,
  /** The node's role changed (a promoted replica, a primary that became a standby). */
  WRONG_ROLE,
  /** Reachable, but its circuit breaker is open after repeated connection failures. */
  BREAKER_OPEN
}
