package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class AdviseCommandIT {
  @TempDir
  Path home;

  private CliRun run(String... args) {
    return CliRun.of(Map.of(), home, args);
  }

  private static List<String> rules(JsonNode report) {
    List<String> out = new ArrayList<>();
    report.get("findings").forEach(f -> out.add(f.get("rule").asText()));
    return out;
  }

  @Test
  void jsonFindingsCarryEvidenceAndActions(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE t (a int, b int)", "CREATE INDEX t_a ON t (a)", "CREATE INDEX t_a_b ON t (a, b)");
      CliRun r = run("advise", "--url", db.url(), "--format", "json", "--rules", "index.*");
      assertThat(r.exitCode()).as(r.all()).isZero();
      JsonNode report = new ObjectMapper().readTree(r.out());
      assertThat(report.get("version").asInt()).isEqualTo(1);
      assertThat(report.get("database").asText()).isEqualTo(db.name());
      assertThat(rules(report)).allMatch(x -> x.startsWith("index.")).contains("index.redundant");
      JsonNode redundant = null;
      for (JsonNode f : report.get("findings")) {
        if (f.get("rule").asText().equals("index.redundant")) {
          redundant = f;
        }
      }
      assertThat(redundant.get("id").asText()).isEqualTo("index.redundant:public.t_a");
      assertThat(redundant.get("severity").asText()).isEqualTo("warning");
      assertThat(redundant.get("object").get("index").asText()).isEqualTo("t_a");
      assertThat(redundant.get("confidence").asText()).isEqualTo("measured");
      assertThat(redundant.get("evidence").get("covered_by").asText()).isEqualTo("public.t_a_b");
      assertThat(redundant.get("action").get("sql").asText()).isEqualTo("DROP INDEX CONCURRENTLY public.t_a;");
      assertThat(redundant.get("action").get("online").asBoolean()).isTrue();
      assertThat(redundant.get("action").get("risk").asText()).isEqualTo("low");
      assertThat(report.get("target").asText()).doesNotContain(cluster.password());
    }
  }

  @Test
  void proveMeasuresTheProposalsAndLeavesNothingBehind(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE orders (id int PRIMARY KEY, account int, placed timestamptz, note text)",
          "INSERT INTO orders SELECT g, g % 2000, now() - g * interval '1 minute', repeat('x', 100)"
              + " FROM generate_series(1, 200000) g", "ANALYZE");
      try (java.sql.Connection c = db.connect()) {
        db.resetStatements();
        try (var ps = c.prepareStatement("SELECT id, placed FROM orders WHERE account = ?")) {
          for (int i = 0; i < 10; i++) {
            ps.setInt(1, i);
            ps.executeQuery().close();
          }
        }
      }
      CliRun r = run("advise", "--url", db.url(), "--format", "json", "--rules", "index.missing", "--prove");
      assertThat(r.exitCode()).as(r.all()).isZero();
      JsonNode report = new ObjectMapper().readTree(r.out());
      JsonNode f = report.get("findings").get(0);
      assertThat(f.get("confidence").asText()).isEqualTo("measured");
      JsonNode measured = f.get("evidence").get("measured").get("statements").get(0);
      assertThat(measured.get("ms_with").asDouble()).isLessThan(measured.get("ms_without").asDouble());
      assertThat(report.get("notes").toString()).contains("prove: 1 statements measured");
      try (java.sql.Connection c = db.connect()) {
        assertThat(dev.pgopt.testkit.Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'")).isOne();
      }
      // apply --prove plans what the proof kept (a dry run: nothing is built)
      CliRun plan = run("apply", "--url", db.url(), "--rule", "index.missing", "--prove");
      assertThat(plan.exitCode()).as(plan.all()).isZero();
      assertThat(plan.out()).contains("prove: 1 statements measured").contains("CREATE INDEX CONCURRENTLY orders_account_idx");
    }
  }

  @Test
  void ruleSelectionKeepsOnlyMatchingFindings(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE t (a int, b int)", "CREATE INDEX t_a ON t (a)", "CREATE INDEX t_a_b ON t (a, b)",
          "CREATE INDEX t_b ON t (b)");
      JsonNode only = new ObjectMapper().readTree(run("advise", "--url", db.url(), "--format", "json", "--rules", "index.unused").out());
      assertThat(rules(only)).isNotEmpty().allMatch(x -> x.equals("index.unused"));
      CliRun human = run("advise", "--url", db.url(), "--rules", "index.redundant");
      assertThat(human.out()).contains("[index.redundant]").contains("DROP INDEX CONCURRENTLY public.t_a;").doesNotContain("[index.unused]");
    }
  }

  @Test
  void indexScansOnAReplicaCount(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE reports (id int, day date)", "INSERT INTO reports SELECT g, current_date - g % 365 FROM generate_series(1, 20000) g",
          "CREATE INDEX reports_day ON reports (day)", "ANALYZE reports");
      assertThat(run("advise", "--url", db.url(), "--rules", "index.unused").out()).contains("reports_day");
      try (TestCluster replica = cluster.startReplica(); Connection r = replica.connect(db.name())) {
        Probe.waitUntil(() -> Probe.exists(r, "SELECT 1 FROM pg_indexes WHERE indexname = 'reports_day'"));
        r.createStatement().executeQuery("SELECT count(*) FROM reports WHERE day = current_date - 3").close();
        Probe.waitUntil(() -> Probe.exists(r, "SELECT 1 FROM pg_stat_user_indexes WHERE indexrelname = 'reports_day' AND idx_scan > 0"));
        CliRun withReplica = run("advise", "--url", db.url(), "--rules", "index.unused", "--replica", replica.url(db.name()));
        assertThat(withReplica.exitCode()).as(withReplica.all()).isZero();
        assertThat(withReplica.out()).doesNotContain("reports_day");
      }
    }
  }

  @Test
  void badInput(TestDatabase db) {
    assertThat(run("advise", "--url", db.url(), "--rules", "index;drop").exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run("advise", "--url", db.url(), "--storage", "tape").err()).contains("--storage must be ssd or hdd");
    assertThat(run("advise", "--url", db.url(), "--memory", "lots").err()).contains("--memory");
    CliRun replica = run("advise", "--url", db.url(), "--replica", "postgres://u:hunter22@127.0.0.1:1/x");
    assertThat(replica.exitCode()).isEqualTo(ExitCode.UNKNOWN);
    assertThat(replica.err()).startsWith("pgopt: replica: cannot reach").doesNotContain("hunter22");
    CliRun half = run("advise", "--url", db.url(), "--history", db.url());
    assertThat(half.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(half.err()).contains("--history and --history-target go together");
    assertThat(run("advise", "--url", db.url(), "--history", db.url(), "--history-target", "app", "--history-window", "long")
        .exitCode()).isEqualTo(ExitCode.USAGE);
    CliRun store = run("advise", "--url", db.url(), "--history", "postgres://u:hunter22@127.0.0.1:1/x", "--history-target", "app");
    assertThat(store.exitCode()).isEqualTo(ExitCode.UNKNOWN);
    assertThat(store.err()).startsWith("pgopt: --history:").doesNotContain("hunter22");
    // a store without a monitor's schema holds no growth: advice runs as without it
    assertThat(run("advise", "--url", db.url(), "--history", db.url(), "--history-target", "app", "--rules", "table.*")
        .exitCode()).isIn(ExitCode.OK, ExitCode.WARNING);
  }
}
