package dev.pgopt.client.route;

/** What a read does when no replica may serve it. */
public enum ReadFallback {
  /** Read from the primary (the default): reads keep working while replicas are down or behind. */
  PRIMARY,
  /** Fail with {@link dev.pgopt.client.NodeUnavailableException}: for deployments that must keep reads off the primary. */
  FAIL
}
