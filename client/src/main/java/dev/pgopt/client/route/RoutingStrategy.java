package dev.pgopt.client.route;

/** How a read picks among the replicas that are healthy, within the lag limit and caught up with the reader's token. */
public enum RoutingStrategy {
  /** Each replica in turn. */
  ROUND_ROBIN,
  /** At random, in proportion to each replica's weight. */
  WEIGHTED,
  /** The replica with the fewest connections currently borrowed through this data source. */
  LEAST_CONNECTIONS,
  /** The replica with the lowest moving average of health-check round trips. */
  LATENCY
}
