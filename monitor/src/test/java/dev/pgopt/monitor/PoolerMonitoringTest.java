package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.local.LocalPgBouncer;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A target's PgBouncer watched through its admin console: its gauges pass promtool, clients queued behind a pool of
 * two fire {@code pgbouncer_clients_waiting} and show on the pooler endpoint, and a stopped PgBouncer fires
 * {@code pgbouncer_down} while the target itself stays up.
 */
@ExtendWith(PostgresExtension.class)
class PoolerMonitoringTest {
  @Test
  void waitingClientsFireTheAlertAndAStoppedPoolerIsDownWhileTheTargetIsUp(TestCluster cluster, TestDatabase db) throws Exception {
    TestDatabase store = cluster.createDatabase();
    LocalPgBouncer bouncer = cluster.startPgBouncer("transaction", 2);
    String admin = "postgresql://" + TestCluster.SUPERUSER + ":" + URLEncoder.encode(cluster.password(), StandardCharsets.UTF_8)
        + "@127.0.0.1:" + bouncer.port() + "/pgbouncer";
    String yaml = """
        server:
          port: 0
          read_token: %s
          admin_token: %s
        store:
          url: %s
        targets:
          - name: app
            url: %s
            pgbouncer:
              admin_url: %s
        collect:
          activity_interval: 1s
          statements_interval: 5s
          findings_interval: 1h
        alerts:
          rules:
            pgbouncer_clients_waiting: {for: 0s}
            pgbouncer_down: {for: 0s}
        """.formatted(MonitorFixture.READ, MonitorFixture.ADMIN, cluster.url(store.name()), cluster.url(db.name()), admin);
    ExecutorService clients = Executors.newFixedThreadPool(6);
    try (MonitorFixture f = MonitorFixture.start(yaml)) {
      Probe.waitUntil(() -> scrape(f).contains("pgopt_pgbouncer_up{target=\"app\"} 1.0"));
      String metrics = scrape(f);
      assertThat(metrics).contains("pgopt_pgbouncer_clients_waiting{target=\"app\"}")
          .contains("pgopt_pgbouncer_maxwait_seconds{target=\"app\"}").contains("pgopt_pgbouncer_saturation_ratio{target=\"app\"}")
          .contains("pgopt_pgbouncer_server_connections{target=\"app\"}");
      Path file = Files.createTempFile("pgopt-pooler-metrics", ".txt");
      Files.writeString(file, metrics);
      PrometheusIntegrationTest.Result check = PrometheusIntegrationTest.run(file.toFile(), "promtool", "check", "metrics");
      assertThat(check.exit()).as(check.output()).isZero();

      // six clients, two server connections: four wait
      List<Future<?>> running = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        running.add(clients.submit(() -> {
          try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + bouncer.port() + "/" + db.name()
              + "?prepareThreshold=0", TestCluster.SUPERUSER, cluster.password()); Statement s = c.createStatement()) {
            s.executeQuery("SELECT pg_sleep(4)").close();
          }
          return null;
        }));
      }
      Probe.waitUntil(() -> firing(f, "pgbouncer_clients_waiting"));
      JsonNode pooler = f.json("/api/targets/app/pooler");
      assertThat(pooler.path("configured").asBoolean()).isTrue();
      assertThat(pooler.path("version").asText()).startsWith("PgBouncer 1.");
      assertThat(pooler.path("values").path("pgbouncer_clients_waiting").asDouble()).isGreaterThan(0);
      JsonNode pool = null;
      for (JsonNode p : pooler.path("pools")) {
        if (p.path("database").asText().equals(db.name())) {
          pool = p;
        }
      }
      assertThat(pool).as(pooler.toString()).isNotNull();
      assertThat(pool.path("pool_size").asInt()).isEqualTo(2);
      for (Future<?> r : running) {
        r.get();
      }

      bouncer.close();
      Probe.waitUntil(() -> firing(f, "pgbouncer_down"));
      assertThat(f.json("/api/targets").get(0).path("up").asBoolean()).as("the target itself is up").isTrue();
      assertThat(f.json("/api/targets/app/pooler").path("error").asText()).contains("127.0.0.1:" + bouncer.port());
    } finally {
      clients.shutdownNow();
      bouncer.close();
      store.close();
    }
  }

  private static boolean firing(MonitorFixture f, String rule) {
    try {
      for (JsonNode a : f.json("/api/alerts").path("alerts")) {
        if (a.path("rule").asText().equals(rule)) {
          return true;
        }
      }
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  private static String scrape(MonitorFixture f) {
    try {
      return f.get("/metrics", MonitorFixture.READ).body();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
