package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class QueriesCommandIT {
  @TempDir
  Path home;

  private CliRun run(String... args) {
    return CliRun.of(Map.of(), home, args);
  }

  private static void runLookups(Connection c, int times) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT name FROM gadgets WHERE id = ?")) {
      for (int i = 0; i < times; i++) {
        ps.setInt(1, i % 100);
        ps.executeQuery().close();
      }
    }
  }

  private static JsonNode lookup(JsonNode report) {
    for (JsonNode s : report.get("statements")) {
      if (s.get("query").asText().equals("SELECT name FROM gadgets WHERE id = $1")) {
        return s;
      }
    }
    return null;
  }

  private static TestDatabase gadgets(TestCluster cluster) {
    TestDatabase db = cluster.createDatabase();
    db.execute("CREATE TABLE gadgets (id int PRIMARY KEY, name text)",
        "INSERT INTO gadgets SELECT g, 'gadget ' || g FROM generate_series(0, 99) g");
    return db;
  }

  @Test
  void ranksTheDatabasesStatementsAndNeverResetsThem(TestCluster cluster) throws Exception {
    try (TestDatabase db = gadgets(cluster); Connection c = db.connect()) {
      runLookups(c, 120);
      String resetBefore = Probe.text(c, "SELECT stats_reset::text FROM pg_stat_statements_info");
      CliRun r = run("queries", "--url", db.url(), "--sort", "calls", "--format", "json");
      assertThat(r.exitCode()).as(r.all()).isZero();
      JsonNode report = new ObjectMapper().readTree(r.out());
      assertThat(report.get("version").asInt()).isEqualTo(1);
      assertThat(report.get("window").get("kind").asText()).isEqualTo("cumulative");
      JsonNode s = lookup(report);
      assertThat(s).isNotNull();
      assertThat(s.get("calls").asLong()).isEqualTo(120);
      assertThat(s.get("rank").asInt()).isEqualTo(1);
      long direct = Probe.count(c, "SELECT calls FROM pg_stat_statements WHERE query = 'SELECT name FROM gadgets WHERE id = $1' "
          + "AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())");
      assertThat(s.get("calls").asLong()).isEqualTo(direct);
      assertThat(Probe.text(c, "SELECT stats_reset::text FROM pg_stat_statements_info")).isEqualTo(resetBefore);

      CliRun human = run("queries", "--url", db.url(), "--sort", "calls", "--limit", "3", "--width", "30");
      assertThat(human.out()).contains("since the statistics were reset").contains("SELECT name FROM gadgets WHER…");
    }
  }

  @Test
  void aSavedSnapshotGivesExactlyWhatRanSince(TestCluster cluster) throws Exception {
    try (TestDatabase db = gadgets(cluster); Connection c = db.connect()) {
      runLookups(c, 30);
      Path snap = home.resolve("before.json");
      assertThat(run("queries", "--url", db.url(), "--save-snapshot", snap.toString()).exitCode()).isZero();
      // statement texts can hold literals and secrets: the owner only
      assertThat(java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(snap)))
          .isEqualTo("rw-------");
      runLookups(c, 50);
      CliRun r = run("queries", "--url", db.url(), "--since", snap.toString(), "--format", "json");
      JsonNode report = new ObjectMapper().readTree(r.out());
      assertThat(report.get("window").get("kind").asText()).isEqualTo("window");
      assertThat(lookup(report).get("calls").asLong()).isEqualTo(50);
      assertThat(lookup(report).get("since_entry").asBoolean()).isFalse();
      assertThat(report.get("notes")).isEmpty();
    }
  }

  @Test
  void deltasSurviveAResetInsideTheWindow(TestCluster cluster) throws Exception {
    try (TestDatabase db = gadgets(cluster); Connection c = db.connect()) {
      runLookups(c, 40);
      Path snap = home.resolve("before-reset.json");
      run("queries", "--url", db.url(), "--save-snapshot", snap.toString());
      Thread.sleep(20);
      c.createStatement().execute("SELECT pg_stat_statements_reset()");
      runLookups(c, 7);
      JsonNode report = new ObjectMapper().readTree(run("queries", "--url", db.url(), "--since", snap.toString(), "--format", "json").out());
      assertThat(lookup(report).get("calls").asLong()).isEqualTo(7);
      assertThat(report.get("notes").toString()).contains("was reset at");
    }
  }

  @Test
  void anIntervalMeasuresWhatRunsMeanwhile(TestCluster cluster) throws Exception {
    try (TestDatabase db = gadgets(cluster); Connection c = db.connect()) {
      runLookups(c, 10);
      var executor = Executors.newSingleThreadExecutor();
      try {
        String snapshots = "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE '/* pgopt */%' "
            + "AND query LIKE '%pg_stat_statements s LEFT JOIN pg_roles%'";
        long before = Probe.count(c, snapshots);
        Future<CliRun> measuring = executor.submit(() -> run("queries", "--url", db.url(), "--interval", "1500ms", "--format", "json"));
        // the window opens when pgopt has read its first snapshot
        Probe.waitUntil(() -> {
          try {
            return Probe.count(c, snapshots) > before;
          } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
          }
        });
        runLookups(c, 25);
        JsonNode report = new ObjectMapper().readTree(measuring.get().out());
        assertThat(report.get("window").get("seconds").asDouble()).isGreaterThanOrEqualTo(1.5);
        assertThat(lookup(report).get("calls").asLong()).isEqualTo(25);
      } finally {
        executor.shutdownNow();
      }
    }
  }

  @Test
  void withoutPgStatStatementsItSaysHowToEnableIt(TestCluster cluster) {
    cluster.execute("postgres", "DROP DATABASE IF EXISTS no_pgss", "CREATE DATABASE no_pgss TEMPLATE template0");
    try {
      CliRun r = run("queries", "--url", cluster.url("no_pgss"));
      assertThat(r.exitCode()).isEqualTo(ExitCode.UNKNOWN);
      assertThat(r.err().strip()).contains("CREATE EXTENSION pg_stat_statements").doesNotContain("\n");
      assertThat(r.all()).doesNotContain(cluster.password());
    } finally {
      cluster.execute("postgres", "DROP DATABASE IF EXISTS no_pgss WITH (FORCE)");
    }
  }

  @Test
  void badInputIsAUsageError(TestDatabase db) throws Exception {
    assertThat(run("queries", "--url", db.url(), "--sort", "speed").err()).contains("unknown sort 'speed'");
    assertThat(run("queries", "--url", db.url(), "--since", home.resolve("missing.json").toString()).exitCode()).isEqualTo(ExitCode.USAGE);
    Path notSnapshot = Files.writeString(home.resolve("other.json"), "{\"hello\": 1}");
    CliRun r = run("queries", "--url", db.url(), "--since", notSnapshot.toString());
    assertThat(r.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(r.err()).contains("is not a version 1 pgopt statement snapshot");
    assertThat(run("queries", "--url", db.url(), "--interval", "1s", "--since", notSnapshot.toString()).exitCode()).isEqualTo(ExitCode.USAGE);
  }

  @Test
  void aSnapshotOfAnotherDatabaseIsRefused(TestCluster cluster) throws Exception {
    try (TestDatabase a = gadgets(cluster); TestDatabase b = gadgets(cluster)) {
      Path snap = home.resolve("a.json");
      run("queries", "--url", a.url(), "--save-snapshot", snap.toString());
      CliRun r = run("queries", "--url", b.url(), "--since", snap.toString());
      assertThat(r.exitCode()).isEqualTo(ExitCode.USAGE);
      assertThat(r.err()).contains("the snapshot is of database " + a.name() + ", not " + b.name());
    }
  }
}
