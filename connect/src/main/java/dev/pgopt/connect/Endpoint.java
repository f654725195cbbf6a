package dev.pgopt.connect;

/** One host and port of a (possibly multi-host) connection target. */
public record Endpoint(String host, int port) {
  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
