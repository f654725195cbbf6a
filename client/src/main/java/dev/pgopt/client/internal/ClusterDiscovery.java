package dev.pgopt.client.internal;

import dev.pgopt.client.ClientConfigurationException;
import dev.pgopt.client.route.Role;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Endpoint;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Roles for the hosts of a multi-host URL, asked of each server: exactly one must be a primary. */
public final class ClusterDiscovery {
  private ClusterDiscovery() {}

  public static List<NodeSpec> discover(DatabaseTarget target, NodeFactory factory, Duration timeout) {
    NodeSpec primary = null;
    List<NodeSpec> replicas = new ArrayList<>();
    for (Endpoint e : target.endpoints()) {
      NodeSpec probe = new NodeSpec(e.toString(), Role.PRIMARY, target, e, 1, null);
      boolean standby;
      try (Connection c = factory.openDirect(probe, "pgopt-client-start", timeout);
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
        rs.next();
        standby = rs.getBoolean(1);
      } catch (SQLException ex) {
        throw new ClientConfigurationException("cannot connect to " + e + " from the cluster URL: "
            + ex.getMessage().lines().findFirst().orElse("") + " (check the URL and that the server is running)", ex);
      }
      if (standby) {
        replicas.add(new NodeSpec(e.toString().replace(':', '-'), Role.REPLICA, target, e, 1, null));
      } else if (primary != null) {
        throw new ClientConfigurationException("the cluster URL has two primaries, " + primary.address() + " and " + e
            + ": list one primary and its streaming replicas");
      } else {
        primary = new NodeSpec("primary", Role.PRIMARY, target, e, 1, null);
      }
    }
    if (primary == null) {
      throw new ClientConfigurationException("no host in the cluster URL is a primary (all are in recovery): "
          + target.display());
    }
    List<NodeSpec> all = new ArrayList<>();
    all.add(primary);
    all.addAll(replicas);
    return all;
  }
}
