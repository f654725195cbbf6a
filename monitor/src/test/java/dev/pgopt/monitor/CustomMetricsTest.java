package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Metrics from the user's own queries: a good one appears on /metrics with its labels and passes promtool; one with too
 * many series, one that writes, one that outlives its timeout and one that hides a second statement are each refused
 * or cut off with their reason counted, and the rest of the collection carries on; the opt-in settings are exported.
 */
@ExtendWith(PostgresExtension.class)
class CustomMetricsTest {
  @Test
  void customQueriesBecomeBoundedMetricsAndBadOnesAreRefused(TestCluster cluster, TestDatabase db) throws Exception {
    db.execute("CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, status text)",
        "INSERT INTO orders SELECT g, CASE WHEN g % 3 = 0 THEN 'open' ELSE 'done' END FROM generate_series(1, 300) g"
            + " ON CONFLICT DO NOTHING");
    TestDatabase store = cluster.createDatabase();
    try (MonitorFixture f = MonitorFixture.start(MonitorFixture.config(cluster, db.name(), store.name(), """
        metrics:
          settings: true
          custom:
            - name: orders_by_status
              help: orders by status
              query: SELECT status, count(*) AS value FROM orders GROUP BY status
              labels: [status]
              interval: 1s
            - name: too_many
              query: SELECT g::text AS id, g AS value FROM generate_series(1, 50) g
              labels: [id]
              max_series: 10
              interval: 1s
            - name: writes
              query: WITH d AS (DELETE FROM orders RETURNING 1) SELECT count(*) AS value FROM d
              interval: 1s
            - name: slow
              query: SELECT count(*) AS value FROM generate_series(1, 100000000)
              timeout: 300ms
              interval: 1s
            - name: two_statements
              query: SELECT 1 AS value; DELETE FROM orders
              interval: 1s
        """))) {
      Probe.waitUntil(() -> {
        String m = scrape(f);
        return m.contains("pgopt_custom_orders_by_status{") && m.contains("reason=\"cardinality\"")
            && m.contains("reason=\"timeout\"") && m.contains("reason=\"refused\"") && m.contains("reason=\"error\"")
            && m.contains("pgopt_setting{");
      });
      String metrics = scrape(f);
      assertThat(metrics).contains("pgopt_custom_orders_by_status{status=\"open\",target=\"app\"} 100.0")
          .contains("pgopt_custom_orders_by_status{status=\"done\",target=\"app\"} 200.0")
          .containsPattern("pgopt_custom_metric_errors_total\\{metric=\"too_many\",reason=\"cardinality\",target=\"app\"} [1-9]")
          .containsPattern("pgopt_custom_metric_errors_total\\{metric=\"writes\",reason=\"error\",target=\"app\"} [1-9]")
          .containsPattern("pgopt_custom_metric_errors_total\\{metric=\"slow\",reason=\"timeout\",target=\"app\"} [1-9]")
          .containsPattern("pgopt_custom_metric_errors_total\\{metric=\"two_statements\",reason=\"refused\",target=\"app\"} [1-9]")
          .contains("pgopt_setting{name=\"max_connections\",target=\"app\",unit=\"\"}")
          .doesNotContain("pgopt_custom_too_many{").doesNotContain("pgopt_custom_writes{");
      // the rest of the collection carries on
      assertThat(f.json("/api/targets").get(0).path("up").asBoolean()).isTrue();
      Path file = Files.createTempFile("pgopt-custom-metrics", ".txt");
      Files.writeString(file, metrics);
      PrometheusIntegrationTest.Result check = PrometheusIntegrationTest.run(file.toFile(), "promtool", "check", "metrics");
      assertThat(check.exit()).as(check.output()).isZero();
      try (Connection c = db.connect()) {
        assertThat(Probe.count(c, "SELECT count(*) FROM orders")).as("nothing was deleted").isEqualTo(300);
      }
    } finally {
      store.close();
    }
  }

  @Test
  void aMetricForADiscoveryEntryRunsOnEveryDatabaseItFound(TestCluster cluster) throws Exception {
    String prefix = "tenant_" + Long.toHexString(System.nanoTime() & 0xffffff);
    cluster.execute("postgres", "CREATE DATABASE " + prefix + "_a", "CREATE DATABASE " + prefix + "_b");
    TestDatabase store = cluster.createDatabase();
    String yaml = """
        server:
          port: 0
          read_token: %s
        store:
          url: %s
        targets:
          - name: tenants
            url: %s
            databases: "%s_*"
        metrics:
          custom:
            - name: ones
              query: SELECT 1 AS value
              interval: 1s
              targets: [tenants]
        """.formatted(MonitorFixture.READ, cluster.url(store.name()), cluster.url("postgres"), prefix);
    try (MonitorFixture f = MonitorFixture.start(yaml)) {
      Probe.waitUntil(() -> {
        String m = scrape(f);
        return m.contains("pgopt_custom_ones{target=\"tenants-" + prefix + "_a\"} 1.0")
            && m.contains("pgopt_custom_ones{target=\"tenants-" + prefix + "_b\"} 1.0");
      });
    } finally {
      store.close();
      cluster.execute("postgres", "DROP DATABASE IF EXISTS " + prefix + "_a WITH (FORCE)",
          "DROP DATABASE IF EXISTS " + prefix + "_b WITH (FORCE)");
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
