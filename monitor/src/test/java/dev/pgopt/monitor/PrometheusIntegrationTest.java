package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The /metrics output of a real monitor passes {@code promtool check metrics}; the shipped alert rules pass {@code
 * promtool check rules} and their unit tests; the Grafana dashboard uses only metrics the monitor exports.
 */
@ExtendWith(PostgresExtension.class)
class PrometheusIntegrationTest {
  static final Path DEPLOY = Path.of("..", "deploy");

  @Test
  void metricsPassPromtoolAndTheDashboardUsesOnlyExportedMetrics(TestCluster cluster, TestDatabase db) throws Exception {
    TestDatabase store = cluster.createDatabase();
    db.execute("CREATE TABLE items (id int, embedding vector(3))", "INSERT INTO items VALUES (1, '[1,2,3]')");
    try (MonitorFixture f = MonitorFixture.start(MonitorFixture.config(cluster, db.name(), store.name(), """
        metrics:
          per_statement_series: 5
        """))) {
      try (Connection c = MonitorFixture.app(cluster, db.name(), "search"); Statement s = c.createStatement()) {
        // searches keep running until a statements window has seen them (the first snapshot is only a baseline)
        Probe.waitUntil(() -> {
          try {
            s.executeQuery("SELECT id FROM items ORDER BY embedding <-> '[1,1,1]' LIMIT 5").close();
            Thread.sleep(200);
          } catch (Exception e) {
            return false;
          }
          return scrape(f).contains("pgopt_statement_mean_time_seconds{");
        });
      }
      String metrics = scrape(f);
      assertThat(metrics).contains("pgopt_statements_calls_total{kind=\"vector\",target=\"app\"}")
          .doesNotContain("ORDER BY").doesNotContain("embedding");
      Path file = Files.createTempFile("pgopt-metrics", ".txt");
      Files.writeString(file, metrics);
      Result check = run(file.toFile(), "promtool", "check", "metrics");
      assertThat(check.exit).as(check.output).isZero();

      String doc = Files.readString(Path.of("..", "docs", "monitor.md"));
      Matcher family = Pattern.compile("(?m)^# TYPE (pgopt_[a-z_]+) ").matcher(metrics);
      while (family.find()) {
        assertThat(doc).as("docs/monitor.md lists %s", family.group(1)).contains(family.group(1));
      }

      JsonNode dashboard = MonitorFixture.JSON.readTree(DEPLOY.resolve("grafana/pgopt-dashboard.json").toFile());
      Set<String> used = new HashSet<>();
      Matcher m = Pattern.compile("pgopt_[a-z_]+").matcher(dashboard.toString());
      while (m.find()) {
        used.add(m.group());
      }
      assertThat(used).isNotEmpty();
      for (String name : used) {
        assertThat(metrics).as("dashboard metric %s is exported", name).containsPattern("(?m)^" + name + "[{ ]");
      }
    } finally {
      store.close();
    }
  }

  @Test
  void alertRulesAreValidAndTheirUnitTestsPass() throws Exception {
    Path rules = DEPLOY.resolve("prometheus");
    Result check = run(null, "promtool", "check", "rules", rules.resolve("pgopt-alerts.yml").toString());
    assertThat(check.exit).as(check.output).isZero();
    Result test = run(null, "promtool", "test", "rules", rules.resolve("pgopt-alerts.test.yml").toString());
    assertThat(test.exit).as(test.output).isZero();
    assertThat(test.output).contains("SUCCESS");
  }

  private static String scrape(MonitorFixture f) {
    try {
      return f.get("/metrics", MonitorFixture.READ).body();
    } catch (Exception e) {
      return "";
    }
  }

  record Result(int exit, String output) {}

  static Result run(File stdin, String... command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    if (stdin != null) {
      pb.redirectInput(stdin);
    }
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
