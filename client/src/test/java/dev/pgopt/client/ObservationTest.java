package dev.pgopt.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.client.observe.StatementLabel;
import dev.pgopt.client.observe.StatementObservation;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestDatabase;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class ObservationTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void timesStatementsByRouteNodeAndLabelAndLogsSlowOnesWithoutData(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE secrets (id int, card text)", "INSERT INTO secrets SELECT g, 'card-' || g FROM generate_series(1, 50) g");
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    List<String> slow = new CopyOnWriteArrayList<>();
    StatementObservation observation = StatementObservation.builder(registry)
        .slowThreshold(Duration.ofMillis(50)).slowSink(slow::add).explainSampleRate(1.0).maxLabels(3).build();
    try (PgoptDataSource ds = PgoptDataSource.builder().primary(db.url()).meterRegistry(registry).observe(observation).build()) {
      ds.read("secrets.fast", c -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT card FROM secrets WHERE id = ?")) {
          ps.setInt(1, 7);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
          }
        }
      });
      long rows = ds.read("secrets.slow", c -> {
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT card, pg_sleep(0.1) FROM secrets WHERE card <> 'card-13' AND id < ? ")) {
          ps.setInt(1, 5);
          long n = 0;
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              n++;
            }
          }
          return n;
        }
      });
      assertThat(rows).isEqualTo(4);

      Timer fast = registry.get("pgopt.client.statement").tag("label", "secrets.fast").tag("route", "read")
          .tag("node", "primary").tag("outcome", "ok").timer();
      assertThat(fast.count()).isEqualTo(1);

      Probe.waitUntil(() -> slow.size() == 1);
      JsonNode line = JSON.readTree(slow.get(0));
      assertThat(line.get("label").asText()).isEqualTo("secrets.slow");
      assertThat(line.get("node").asText()).isEqualTo("primary");
      assertThat(line.get("rows").asLong()).isEqualTo(4);
      assertThat(line.get("duration_ms").asDouble()).isGreaterThanOrEqualTo(100);
      assertThat(line.get("sql").asText()).isEqualTo("SELECT card, pg_sleep(?) FROM secrets WHERE card <> ? AND id < ?");
      assertThat(slow.get(0)).doesNotContain("card-13");
      // Sampled plan, taken with EXPLAIN and the same parameters, never executed.
      assertThat(line.get("plan").get(0).get("Plan").get("Node Type").asText()).isEqualTo("Seq Scan");
      assertThat(line.get("plan").get(0).get("Plan").get("Filter").asText()).isEqualTo("((card <> ?::text) AND (id < ?))");

      String scrape = registry.scrape();
      assertThat(scrape).contains("pgopt_client_statement_seconds_count{label=\"secrets.slow\"")
          .contains("hikaricp_connections_active")
          .contains("pgopt_client_node_routable")
          .doesNotContain("SELECT card");
    }
  }

  @Test
  void labelsAreBoundedAndNeverRawSql(TestDatabase db) throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (PgoptDataSource ds = PgoptDataSource.builder().primary(db.url())
        .observe(StatementObservation.builder(registry).maxLabels(2).build()).build()) {
      for (String label : List.of("a", "b", "c", "d", "SELECT * FROM users WHERE email = 'x@y'")) {
        try (StatementLabel l = StatementLabel.use(label); Connection c = ds.getConnection(); Statement s = c.createStatement()) {
          s.execute("SELECT 1");
        }
      }
      try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
        s.execute("SELECT 1");
      }
      assertThat(registry.find("pgopt.client.statement").timers())
          .extracting(t -> t.getId().getTag("label"))
          .containsExactlyInAnyOrder("a", "b", "other", "invalid", "unlabeled");
      assertThat(registry.get("pgopt.client.statement").tag("label", "other").timer().count()).isEqualTo(2);
    }
  }
}
