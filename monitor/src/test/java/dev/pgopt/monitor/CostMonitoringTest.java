package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A target with prices: its monthly cost and forecast are series and gauges (promtool accepts them), and a forecast
 * past the monthly budget fires {@code cost_budget}; a target without prices has neither.
 */
@ExtendWith(PostgresExtension.class)
class CostMonitoringTest {
  @Test
  void theForecastIsHeldAgainstTheBudget(TestCluster cluster, TestDatabase db) throws Exception {
    TestDatabase store = cluster.createDatabase();
    TestDatabase other = cluster.createDatabase();
    // db.t4g.medium alone is 0.065 × 730.5 = 47.48 a month: over a budget of 40
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
            cost: {price_table: rds, instance: db.t4g.medium, budget_monthly: 40}
          - name: other
            url: %s
        collect:
          activity_interval: 1s
          statements_interval: 5s
          findings_interval: 1h
        """.formatted(MonitorFixture.READ, MonitorFixture.ADMIN, cluster.url(store.name()), cluster.url(db.name()),
        cluster.url(other.name()));
    try (MonitorFixture f = MonitorFixture.start(yaml)) {
      Probe.waitUntil(() -> scrape(f).contains("pgopt_cost_monthly{target=\"app\"}"));
      String metrics = scrape(f);
      assertThat(metrics).contains("pgopt_cost_forecast_monthly{target=\"app\"}").doesNotContain("pgopt_cost_monthly{target=\"other\"}");
      Path file = Files.createTempFile("pgopt-cost-metrics", ".txt");
      Files.writeString(file, metrics);
      PrometheusIntegrationTest.Result check = PrometheusIntegrationTest.run(file.toFile(), "promtool", "check", "metrics");
      assertThat(check.exit()).as(check.output()).isZero();
      Probe.waitUntil(() -> alert(f, "cost_budget") != null);
      JsonNode a = alert(f, "cost_budget");
      assertThat(a.path("target").asText()).isEqualTo("app");
      assertThat(a.path("severity").asText()).isEqualTo("critical");
      assertThat(a.path("value").asDouble()).isBetween(47.48, 47.6);
    } finally {
      store.close();
      other.close();
    }
  }

  private static JsonNode alert(MonitorFixture f, String rule) {
    try {
      for (JsonNode a : f.json("/api/alerts").path("alerts")) {
        if (a.path("rule").asText().equals(rule)) {
          return a;
        }
      }
      return null;
    } catch (Exception e) {
      return null;
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
