package dev.pgopt.client.internal;

import dev.pgopt.client.route.Role;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Endpoint;

/** A configured node before start: where it is and what it is expected to be. */
public record NodeSpec(String name, Role role, DatabaseTarget target, Endpoint endpoint, int weight, String zone) {
  public String address() {
    return endpoint.toString();
  }
}
