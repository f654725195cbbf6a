package dev.pgopt.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.client.route.NodeStatus;
import dev.pgopt.client.route.ReadFallback;
import dev.pgopt.client.route.RoutingStrategy;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class RoutingTest {
  static TestCluster replicaA;
  static TestCluster replicaB;

  @BeforeAll
  static void replicas(TestCluster primary, TestDatabase db) throws Exception {
    db.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text)");
    replicaA = primary.startReplica();
    replicaB = primary.startReplica();
  }

  @AfterAll
  static void stop() {
    if (replicaA != null) {
      replicaA.close();
    }
    if (replicaB != null) {
      replicaB.close();
    }
  }

  static String replicaUrl(TestCluster replica, TestDatabase db) {
    return replica.url(db.name());
  }

  private static PgoptDataSourceBuilder twoReplicas(TestDatabase db) {
    return PgoptDataSource.builder()
        .primary(db.url())
        .replica("a", replicaUrl(replicaA, db), 1, "zone-1")
        .replica("b", replicaUrl(replicaB, db), 3, "zone-2")
        .healthCheckInterval(Duration.ofMillis(100))
        .poolSize(4, 4);
  }

  static boolean inRecovery(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  static int port(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_setting('port')::int")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void readOnlyFlagSetBeforeFirstUseRoutesToAReplica(TestDatabase db) throws Exception {
    try (PgoptDataSource ds = twoReplicas(db).build()) {
      try (Connection c = ds.getConnection()) {
        c.setReadOnly(true);
        c.setAutoCommit(false);
        assertThat(inRecovery(c)).isTrue();
        c.commit();
      }
      try (Connection c = ds.getConnection()) {
        assertThat(inRecovery(c)).isFalse();
        try (Statement s = c.createStatement()) {
          s.executeUpdate("INSERT INTO items VALUES (1, 'one') ON CONFLICT DO NOTHING");
        }
      }
      try (Connection c = ds.reader().getConnection()) {
        assertThat(inRecovery(c)).isTrue();
      }
      try (Connection c = ds.writer().getConnection()) {
        assertThat(inRecovery(c)).isFalse();
      }
      assertThat(ds.<Boolean>read("items.count", RoutingTest::inRecovery)).isTrue();
      assertThat(ds.<Boolean>tx("items.insert", RoutingTest::inRecovery).value()).isFalse();
    }
  }

  @Test
  void roundRobinSpreadsReadsOverBothReplicas(TestDatabase db) throws Exception {
    try (PgoptDataSource ds = twoReplicas(db).build()) {
      Map<Integer, Integer> byPort = new HashMap<>();
      for (int i = 0; i < 40; i++) {
        byPort.merge(ds.read("port", RoutingTest::port), 1, Integer::sum);
      }
      assertThat(byPort).containsOnlyKeys(replicaA.port(), replicaB.port());
      assertThat(byPort.get(replicaA.port())).isEqualTo(20);
    }
  }

  @Test
  void weightedFollowsWeights(TestDatabase db) throws Exception {
    try (PgoptDataSource ds = twoReplicas(db).strategy(RoutingStrategy.WEIGHTED)
        .random(new java.util.SplittableRandom(7)).build()) {
      Map<Integer, Integer> byPort = new HashMap<>();
      for (int i = 0; i < 400; i++) {
        byPort.merge(ds.read("port", RoutingTest::port), 1, Integer::sum);
      }
      // weights 1:3 -> b should take about 300 of 400
      assertThat(byPort.get(replicaB.port())).isBetween(260, 340);
    }
  }

  @Test
  void leastConnectionsAvoidsTheBusyReplica(TestDatabase db) throws Exception {
    try (PgoptDataSource ds = twoReplicas(db).strategy(RoutingStrategy.LEAST_CONNECTIONS).build();
        Connection held = ds.reader().getConnection()) {
      int busy = port(held);
      for (int i = 0; i < 10; i++) {
        assertThat(ds.read("port", RoutingTest::port)).isNotEqualTo(busy);
      }
    }
  }

  @Test
  void latencyAndZonePreference(TestDatabase db) throws Exception {
    try (PgoptDataSource ds = twoReplicas(db).preferZone("zone-2").build()) {
      for (int i = 0; i < 10; i++) {
        assertThat(ds.read("port", RoutingTest::port)).isEqualTo(replicaB.port());
      }
    }
    try (PgoptDataSource ds = twoReplicas(db).strategy(RoutingStrategy.LATENCY).build()) {
      Probe.waitUntil(() -> ds.nodes().stream().allMatch(n -> n.roundTripMillis() > 0));
      int port = ds.read("port", RoutingTest::port);
      assertThat(port).isIn(replicaA.port(), replicaB.port());
    }
  }

  @Test
  void reportsNodesAndLag(TestDatabase db) throws Exception {
    try (PgoptDataSource ds = twoReplicas(db).build()) {
      assertThat(ds.nodes()).extracting(NodeStatus::name).containsExactly("primary", "a", "b");
      assertThat(ds.nodes()).allMatch(NodeStatus::routable).allMatch(NodeStatus::reachable);
      assertThat(ds.nodes().get(1).lagBytes()).isGreaterThanOrEqualTo(0);
    }
  }

  @Test
  void multiHostUrlFindsThePrimaryWhereverItIsListed(TestCluster primary, TestDatabase db) throws Exception {
    String url = "postgres://" + primary.superuser() + ":" + primary.password() + "@127.0.0.1:" + replicaA.port()
        + ",127.0.0.1:" + primary.port() + "/" + db.name();
    try (PgoptDataSource ds = PgoptDataSource.builder().cluster(url).build()) {
      assertThat(ds.nodes()).extracting(NodeStatus::name).containsExactly("primary", "127.0.0.1-" + replicaA.port());
      assertThat(ds.tx("w", RoutingTest::port).value()).isEqualTo(primary.port());
      assertThat(ds.read("r", RoutingTest::port)).isEqualTo(replicaA.port());
    }
  }

  @Test
  void withoutReplicasReadsUseThePrimaryOrFailWhenConfigured(TestCluster primary, TestDatabase db) throws Exception {
    try (PgoptDataSource ds = PgoptDataSource.builder().primary(db.url()).build()) {
      assertThat(ds.<Boolean>read("r", RoutingTest::inRecovery)).isFalse();
    }
    try (PgoptDataSource ds = PgoptDataSource.builder().primary(db.url()).readFallback(ReadFallback.FAIL).build()) {
      assertThatThrownBy(() -> ds.read("r", RoutingTest::inRecovery))
          .isInstanceOf(NodeUnavailableException.class)
          .hasMessageContaining("no replica can serve this read");
    }
  }

  @Test
  void badInputFailsAtBuildWithOneClearLine(TestCluster primary, TestDatabase db) {
    assertThatThrownBy(() -> PgoptDataSource.builder().primary(replicaUrl(replicaA, db)).build())
        .isInstanceOf(ClientConfigurationException.class)
        .hasMessageContaining("points at a standby")
        .hasMessageNotContaining(primary.password());
    assertThatThrownBy(() -> PgoptDataSource.builder().primary(db.url()).replica("r", db.url()).build())
        .isInstanceOf(ClientConfigurationException.class)
        .hasMessageContaining("replica 'r' (127.0.0.1:" + primary.port() + ") is not a standby");
    int closed = dev.pgopt.local.FreePort.find();
    assertThatThrownBy(() -> PgoptDataSource.builder().primary(db.url())
        .replica("gone", "postgres://u:secret@127.0.0.1:" + closed + "/x").build())
        .isInstanceOf(ClientConfigurationException.class)
        .hasMessageStartingWith("cannot connect to replica 'gone' at 127.0.0.1:" + closed)
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> PgoptDataSource.builder().primary(db.url()).poolSize(0, 5))
        .isInstanceOf(ClientConfigurationException.class)
        .hasMessageContaining("pool sizes must be positive");
    assertThatThrownBy(() -> PgoptDataSource.builder().primary(db.url()).poolSize(5, -1))
        .isInstanceOf(ClientConfigurationException.class);
    assertThatThrownBy(() -> PgoptDataSource.builder().primary("postgres://[::1").build())
        .isInstanceOf(ClientConfigurationException.class)
        .hasMessageStartingWith("primary URL:");
    assertThatThrownBy(() -> PgoptDataSource.builder().build())
        .hasMessageContaining("give either primary(url)");
  }

  @Test
  void startsWithoutAnUnreachableReplicaWhenAllowed(TestDatabase db) throws Exception {
    int closed = dev.pgopt.local.FreePort.find();
    try (PgoptDataSource ds = PgoptDataSource.builder().primary(db.url())
        .replica("gone", "postgres://u:p@127.0.0.1:" + closed + "/x").startWithoutReplicas(true).build()) {
      assertThat(ds.<Boolean>read("r", RoutingTest::inRecovery)).isFalse();
      assertThat(ds.nodes().get(1).routable()).isFalse();
      assertThat(ds.nodes().get(1).problem()).contains("health check failed");
    }
  }
}
