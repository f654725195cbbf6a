package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.connect.Sql;
import dev.pgopt.local.LocalRedis;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class BenchCommandIT {
  @TempDir
  Path home;

  private CliRun run(String... args) {
    return CliRun.of(Map.of(), home, args);
  }

  private static TestDatabase withWorkload(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    db.execute("CREATE TABLE gadgets (id int PRIMARY KEY, kind int, name text)",
        "INSERT INTO gadgets SELECT g, g % 7, 'gadget ' || g FROM generate_series(1, 5000) g", "ANALYZE gadgets");
    try (Connection c = db.connect()) {
      db.resetStatements();
      try (PreparedStatement byId = c.prepareStatement("SELECT name FROM gadgets WHERE id = ?");
          PreparedStatement byKind = c.prepareStatement("SELECT count(*) FROM gadgets WHERE kind = ?")) {
        for (int i = 1; i <= 60; i++) {
          byId.setInt(1, i);
          byId.executeQuery().close();
          if (i % 3 == 0) {
            byKind.setInt(1, i % 7);
            byKind.executeQuery().close();
          }
        }
      }
    }
    return db;
  }

  @Test
  void replaysTheWorkloadAtTheRateAndReportsJson(TestCluster cluster) throws Exception {
    try (TestDatabase db = withWorkload(cluster)) {
      CliRun r = run("bench", "--url", db.url(), "--rate", "50/s", "--duration", "2s", "--warmup", "0s", "--clients", "2",
          "--p95", "2s", "--arrivals", "uniform", "--format", "json");
      assertThat(r.exitCode()).as(r.err()).isZero();
      JsonNode report = new ObjectMapper().readTree(r.out());
      JsonNode result = report.get("result");
      assertThat(result.get("scheduled").asLong()).isEqualTo(100);
      assertThat(result.get("completed").asLong()).isEqualTo(100);
      assertThat(result.get("unsent").asLong()).isZero();
      assertThat(result.get("latency").get("p95").asDouble()).isPositive();
      assertThat(result.get("statements")).hasSize(2);
      assertThat(result.get("statements").get(0).get("query").asText()).isEqualTo("SELECT name FROM gadgets WHERE id = $1");
      assertThat(result.get("statements").get(0).get("share").asDouble()).isBetween(0.7, 0.8);
      assertThat(report.get("objective_p95_ms").asDouble()).isEqualTo(2000.0);
      // what verify --bench needs to run it again, and no URL
      assertThat(report.get("options").get("rate").asDouble()).isEqualTo(50.0);
      assertThat(report.get("options").get("prepare_threshold").asInt()).isEqualTo(5);
      assertThat(report.get("options").toString()).doesNotContain("postgres://");
    }
  }

  @Test
  void throughTheClientReadsGoToTheReplicaAndRepeatsComeFromTheCache(TestCluster cluster, LocalRedis redis) throws Exception {
    try (TestDatabase db = withWorkload(cluster); TestCluster replica = cluster.startReplica()) {
      long primaryCalls = gadgetCalls(cluster, db.name());
      CliRun r = run("bench", "--url", db.url(), "--replica", replica.url(db.name()), "--cache", redis.uri(),
          "--rate", "100/s", "--duration", "3s", "--warmup", "0s", "--clients", "2", "--arrivals", "uniform",
          "--format", "json");
      assertThat(r.exitCode()).as(r.err()).isZero();
      JsonNode report = new ObjectMapper().readTree(r.out());
      assertThat(report.get("result").get("completed").asLong()).isEqualTo(300);
      assertThat(report.get("result").get("failed").asLong()).isZero();
      JsonNode client = report.get("client");
      assertThat(client.get("replicas").asInt()).isEqualTo(1);
      assertThat(client.get("cache").asText()).isEqualTo("redis");
      // kind has 7 values: its statement is loaded at most 7 times, the rest are hits
      long loads = client.get("loads").asLong();
      assertThat(client.get("l1_hits").asLong() + client.get("l2_hits").asLong()).isEqualTo(300 - loads).isPositive();
      // the loads read the replica; the primary saw none of them
      assertThat(gadgetCalls(cluster, db.name())).isEqualTo(primaryCalls);
      assertThat(gadgetCalls(replica, db.name())).isEqualTo(loads);
      // the replica's pooled sessions were made read-only once each, not once per request
      try (Connection c = replica.connect(db.name())) {
        long sets = Sql.<Long>one(c, "SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements"
            + " WHERE query ILIKE 'SET default_transaction_read_only%'", rs -> rs.getLong(1));
        assertThat(sets).isBetween(1L, 2L);
      }
      // without the cache every request reaches the database
      r = run("bench", "--url", db.url(), "--through-client", "--rate", "50/s", "--duration", "2s", "--warmup", "0s",
          "--clients", "2", "--arrivals", "uniform");
      assertThat(r.exitCode()).as(r.err()).isZero();
      assertThat(r.out()).contains("100 answered").contains("Through pgopt-client: 0 replicas, no cache.");
      assertThat(r.err()).contains("through pgopt-client (0 replicas, no cache)");
      assertThat(gadgetCalls(cluster, db.name())).isEqualTo(primaryCalls + 100);
    }
  }

  @Test
  void clientOptionsThatCannotWorkAreOneLine(TestCluster cluster) throws Exception {
    try (TestDatabase db = withWorkload(cluster)) {
      CliRun r = run("bench", "--url", db.url(), "--cache", "memcached://127.0.0.1:11211", "--duration", "1s");
      assertThat(r.exitCode()).isEqualTo(64);
      assertThat(r.err().strip()).startsWith("pgopt: --cache must be memory or a Redis URL").doesNotContain("\n");
      // a "replica" that is the primary itself
      r = run("bench", "--url", db.url(), "--replica", db.url(), "--duration", "1s");
      assertThat(r.exitCode()).isEqualTo(3);
      assertThat(r.err()).contains("is not a standby").doesNotContain(cluster.password()).doesNotContain("Exception");
      r = run("bench", "--url", db.url(), "--replica", "postgres://nobody:secret-pw@127.0.0.1:1/x", "--duration", "1s");
      assertThat(r.exitCode()).isEqualTo(3);
      assertThat(r.err()).contains("cannot connect to replica").doesNotContain("secret-pw");
      Path script = home.resolve("w.sql");
      java.nio.file.Files.writeString(script, "INSERT INTO gadgets VALUES (100000, 1, 'x')\n");
      r = run("bench", "--url", db.url(), "--script", script.toString(), "--include-writes", "--disposable-database",
          db.name(), "--cache", "memory", "--duration", "1s");
      assertThat(r.exitCode()).isEqualTo(64);
      assertThat(r.err()).contains("not with --through-client");
    }
  }

  private static long gadgetCalls(TestCluster server, String database) throws Exception {
    try (Connection c = server.connect(database)) {
      return Sql.<Long>one(c, "SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements"
          + " WHERE query LIKE '%FROM gadgets WHERE%' AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
          rs -> rs.getLong(1));
    }
  }

  @Test
  void humanReportAndAnObjectiveThatCannotBeMet(TestCluster cluster) throws Exception {
    try (TestDatabase db = withWorkload(cluster)) {
      CliRun r = run("bench", "--url", db.url(), "--rate", "20", "--duration", "1s", "--warmup", "0s", "--clients", "1",
          "--p95", "0.001ms", "--arrivals", "uniform");
      assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
      assertThat(r.out()).contains("Requests: 20 due, 20 answered, 0 failed, 0 not sent")
          .contains("Objective p95 <= ").contains("NOT met").contains("SELECT name FROM gadgets WHERE id = $1");
      assertThat(r.err()).contains("2 statements replayed").contains("rate 20/s for 1 s");
    }
  }

  @Test
  void badInputGetsOneLineAndExit64(TestCluster cluster) throws Exception {
    try (TestDatabase db = withWorkload(cluster)) {
      for (String[] args : new String[][] {
          {"--rate", "0"}, {"--rate", "fast"}, {"--rate", "-5/s"}, {"--duration", "soon"}, {"--clients", "0"},
          {"--find-max"}, {"--format", "xml"}, {"--top", "0"}, {"--arrivals", "bursty"}}) {
        String[] all = new String[args.length + 3];
        all[0] = "bench";
        all[1] = "--url";
        all[2] = db.url();
        System.arraycopy(args, 0, all, 3, args.length);
        CliRun r = run(all);
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.err()).isEqualTo(64);
        assertThat(r.err().strip().lines().count()).as(r.err()).isLessThanOrEqualTo(2);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
      }
    }
  }

  @Test
  void pgbenchStyleScriptsRunAtTheirWeightsWithTheirVariables(TestCluster cluster) throws Exception {
    try (TestDatabase db = withWorkload(cluster)) {
      // out of 1..n, the statement divides by zero: no error means every drawn :id was in the domain
      Path byId = home.resolve("by-id.sql");
      java.nio.file.Files.writeString(byId, """
          -- pgbench -S's shape
          \\set id random(1, :n)
          \\set other :id % 7
          SELECT name, 1 / (CASE WHEN :id BETWEEN 1 AND 5000 AND :other = :id % 7 THEN 1 ELSE 0 END)
            FROM gadgets WHERE id = :id AND name <> ':id'::text;
          """);
      Path byKind = home.resolve("by-kind.sql");
      java.nio.file.Files.writeString(byKind, "\\set k random_exponential(0, 6, 2)\nSELECT count(*) FROM gadgets WHERE kind = :k;\n");
      db.resetStatements();
      CliRun r = run("bench", "--url", db.url(), "--rate", "50/s", "--duration", "2s", "--warmup", "0s", "--clients", "2",
          "--arrivals", "uniform", "--script", byId + "@3", "--script", byKind.toString(), "--define", "n=5000",
          "--format", "json");
      assertThat(r.exitCode()).as(r.err()).isZero();
      JsonNode result = new ObjectMapper().readTree(r.out()).get("result");
      assertThat(result.get("completed").asLong()).isEqualTo(100);
      assertThat(result.get("failed").asLong()).isZero();
      assertThat(result.get("statements")).hasSize(2);
      assertThat(result.get("statements").get(0).get("share").asDouble()).isEqualTo(0.75);
      try (Connection c = db.connect()) {
        long calls = dev.pgopt.connect.Sql.one(c, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
            + " WHERE query LIKE 'SELECT name, % / (CASE WHEN %'", rs -> rs.getLong(1));
        assertThat(calls).as("the script's statement ran on the server with bound values").isBetween(50L, 100L);
      }
    }
  }

  @Test
  void theSampleWorkloadRunsItsReadsAtTheirWeightsAndItsWritesOnlyWhenAsked(TestCluster cluster) throws Exception {
    try (TestDatabase plain = withWorkload(cluster); TestDatabase db = cluster.createDatabase()) {
      CliRun none = run("bench", "--url", plain.url(), "--rate", "10", "--duration", "1s", "--sample-workload");
      assertThat(none.exitCode()).isEqualTo(3);
      assertThat(none.err()).contains("has no sample dataset").contains("pgopt sample load").doesNotContain("Exception");
      CliRun both = run("bench", "--url", db.url(), "--rate", "10", "--duration", "1s", "--sample-workload", "--script", "x.sql");
      assertThat(both.exitCode()).isEqualTo(64);
      assertThat(both.err()).contains("--script or --sample-workload");
      try (Connection c = db.connect()) {
        dev.pgopt.sample.SampleDataset.load(c, new dev.pgopt.sample.SampleDataset.Options(0.02, 42, false),
            java.time.Clock.systemUTC(), dev.pgopt.sample.SampleDataset.Progress.NONE);
      }
      long messages;
      try (Connection c = db.connect()) {
        messages = Sql.<Long>one(c, "SELECT count(*) FROM messages", rs -> rs.getLong(1));
      }
      db.resetStatements();
      CliRun r = run("bench", "--url", db.url(), "--rate", "100/s", "--duration", "3s", "--warmup", "0s", "--clients", "2",
          "--arrivals", "uniform", "--sample-workload", "--format", "json");
      assertThat(r.exitCode()).as(r.err()).isZero();
      JsonNode report = new ObjectMapper().readTree(r.out());
      JsonNode result = report.get("result");
      assertThat(result.get("completed").asLong()).isEqualTo(300);
      assertThat(result.get("failed").asLong()).isZero();
      // the nine reads, by their default weights (repo-by-id 18 of 70), none of the writes
      assertThat(result.get("statements")).hasSize(9);
      JsonNode byId = null;
      for (JsonNode st : result.get("statements")) {
        assertThat(st.get("query").asText()).doesNotStartWith("INSERT").doesNotStartWith("UPDATE");
        if (st.get("query").asText().startsWith("SELECT id, full_name, description, stars FROM repositories WHERE id = ?")) {
          byId = st;
        }
      }
      assertThat(byId).isNotNull();
      assertThat(byId.get("share").asDouble()).isCloseTo(18.0 / 70, org.assertj.core.data.Offset.offset(0.001));
      assertThat(report.get("options").get("sample_workload").asBoolean()).isTrue();
      try (Connection c = db.connect()) {
        assertThat(Sql.<Long>one(c, "SELECT count(*) FROM messages", rs -> rs.getLong(1))).isEqualTo(messages);
        // the statements ran with values the server typed: the messages lookup by project and time found rows
        assertThat(Sql.<Long>one(c, "SELECT coalesce(sum(rows), 0) FROM pg_stat_statements WHERE query LIKE"
            + " 'SELECT id, role, content, created_at FROM messages WHERE project_id = $1%'", rs -> rs.getLong(1))).isPositive();
      }
      // the same mix through pgopt-client and its in-process cache: the skewed values repeat, so some are answered there
      CliRun cached = run("bench", "--url", db.url(), "--rate", "100/s", "--duration", "2s", "--warmup", "0s", "--clients", "2",
          "--arrivals", "uniform", "--sample-workload", "--cache", "memory", "--format", "json");
      assertThat(cached.exitCode()).as(cached.err()).isZero();
      JsonNode viaClient = new ObjectMapper().readTree(cached.out());
      assertThat(viaClient.get("result").get("completed").asLong()).isEqualTo(200);
      assertThat(viaClient.get("result").get("failed").asLong()).isZero();
      assertThat(viaClient.get("client").get("l1_hits").asLong()).isPositive();
      assertThat(viaClient.get("client").get("loads").asLong()).isPositive();
      CliRun writes = run("bench", "--url", db.url(), "--rate", "100/s", "--duration", "2s", "--warmup", "0s", "--clients", "2",
          "--arrivals", "uniform", "--sample-workload", "--include-writes", "--disposable-database", db.name(), "--format", "json");
      assertThat(writes.exitCode()).as(writes.err()).isZero();
      assertThat(new ObjectMapper().readTree(writes.out()).get("result").get("failed").asLong()).isZero();
      try (Connection c = db.connect()) {
        assertThat(Sql.<Long>one(c, "SELECT count(*) FROM messages", rs -> rs.getLong(1))).isGreaterThan(messages);
      }
    }
  }

  @Test
  void writesRunOnlyWhenAskedForAndOnTheDatabaseNamedDisposable(TestCluster cluster) throws Exception {
    try (TestDatabase db = withWorkload(cluster)) {
      Path touch = home.resolve("touch.sql");
      java.nio.file.Files.writeString(touch, "\\set id random(1, 5000)\nUPDATE gadgets SET name = 'touched' WHERE id = :id;\n");
      CliRun refused = run("bench", "--url", db.url(), "--rate", "10", "--duration", "1s", "--script", touch.toString());
      assertThat(refused.exitCode()).isEqualTo(64);
      assertThat(refused.err()).contains("touch.sql:2: not a read statement").contains("--include-writes");
      CliRun unnamed = run("bench", "--url", db.url(), "--rate", "10", "--duration", "1s", "--script", touch.toString(),
          "--include-writes");
      assertThat(unnamed.err()).contains("--disposable-database " + db.name());
      CliRun other = run("bench", "--url", db.url(), "--rate", "10", "--duration", "1s", "--script", touch.toString(),
          "--include-writes", "--disposable-database", "production");
      assertThat(other.exitCode()).isEqualTo(64);
      assertThat(other.err()).contains("(not production)");
      CliRun stats = run("bench", "--url", db.url(), "--rate", "10", "--duration", "1s", "--include-writes",
          "--disposable-database", db.name());
      assertThat(stats.err()).contains("the database's own writes are never replayed");
      Path ddl = home.resolve("ddl.sql");
      java.nio.file.Files.writeString(ddl, "DROP TABLE gadgets;\n");
      CliRun drop = run("bench", "--url", db.url(), "--rate", "10", "--duration", "1s", "--script", ddl.toString(),
          "--include-writes", "--disposable-database", db.name());
      assertThat(drop.exitCode()).isEqualTo(64);
      assertThat(drop.err()).contains("ddl.sql:1: only reads and INSERT, UPDATE, DELETE or MERGE run");
      try (Connection c = db.connect()) {
        assertThat(dev.pgopt.connect.Sql.<Long>one(c, "SELECT count(*) FROM gadgets WHERE name = 'touched'", rs -> rs.getLong(1)))
            .as("nothing written by the refused runs").isZero();
      }
      CliRun r = run("bench", "--url", db.url(), "--rate", "40/s", "--duration", "2s", "--warmup", "0s", "--clients", "2",
          "--arrivals", "uniform", "--script", touch.toString(), "--include-writes", "--disposable-database", db.name(),
          "--format", "json");
      assertThat(r.exitCode()).as(r.err()).isZero();
      JsonNode result = new ObjectMapper().readTree(r.out()).get("result");
      assertThat(result.get("completed").asLong()).isEqualTo(80);
      assertThat(result.get("failed").asLong()).isZero();
      try (Connection c = db.connect()) {
        assertThat(dev.pgopt.connect.Sql.<Long>one(c, "SELECT count(*) FROM gadgets WHERE name = 'touched'", rs -> rs.getLong(1)))
            .isBetween(60L, 80L);
      }
    }
  }

  @Test
  void aScriptPgoptCannotRunIsOneLineWithItsFileAndLine(TestCluster cluster) throws Exception {
    try (TestDatabase db = withWorkload(cluster)) {
      String[][] cases = {
          {"\\set id random(1, 10\nSELECT :id;", "bad.sql:1: a ')' is missing"},
          {"\\set id rand(1, 10)\nSELECT :id;", "bad.sql:1: function rand is not supported"},
          {"\\sleep 10 ms\nSELECT 1;", "bad.sql:1: \\sleep is not supported"},
          {"SELECT :nope;", "bad.sql:1: variable :nope is not set"},
          {"UPDATE gadgets SET name = 'x';", "bad.sql:1: not a read statement"},
          {"COPY gadgets TO STDOUT;", "bad.sql:1: not a read statement"},
          {"SELECT 1;\nSELECT 2;", "bad.sql:2: a second statement"},
          // on one line, the second would be sent too: a read-only session's SET, then a write
          {"SELECT 1; SET default_transaction_read_only = off; DELETE FROM gadgets;", "bad.sql:1: more than one statement"},
          {"SELECT ';', 1 /* ; */;", null},
          {"SELECT 1\u0000;", "bad.sql:1: a NUL byte"},
          {"-- only a comment\n", "bad.sql: no SQL statement"},
          {"\\set a 10 / 0.5\nSELECT :a;", "only integers are supported"},
      };
      Path bad = home.resolve("bad.sql");
      for (String[] c : cases) {
        java.nio.file.Files.writeString(bad, c[0]);
        CliRun r = run("bench", "--url", db.url(), "--rate", "10", "--duration", "1s", "--script", bad.toString());
        if (c[1] == null) {
          // quotes and comments hide the ';': one statement, which runs
          assertThat(r.exitCode()).as(c[0] + ": " + r.err()).isZero();
          continue;
        }
        assertThat(r.exitCode()).as(c[0] + ": " + r.err()).isEqualTo(64);
        assertThat(r.err()).as(c[0]).contains(c[1]).doesNotContain("\tat ");
        assertThat(r.err().strip().lines().count()).as(c[0]).isEqualTo(1);
      }
      try (Connection c = db.connect()) {
        assertThat(dev.pgopt.connect.Sql.<Long>one(c, "SELECT count(*) FROM gadgets", rs -> rs.getLong(1))).isEqualTo(5000L);
      }
      CliRun missing = run("bench", "--url", db.url(), "--rate", "10", "--duration", "1s", "--script", home.resolve("none.sql").toString());
      assertThat(missing.exitCode()).isEqualTo(64);
      assertThat(missing.err()).contains("none.sql: cannot read it");
      CliRun define = run("bench", "--url", db.url(), "--rate", "10", "--duration", "1s", "--script", bad.toString(), "--define", "n");
      assertThat(define.err()).contains("--define n: write NAME=VALUE");
    }
  }

  @Test
  void aDatabaseWithNothingToReplaySaysSo(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.resetStatements();
      CliRun r = run("bench", "--url", db.url(), "--rate", "10", "--duration", "1s");
      assertThat(r.exitCode()).isEqualTo(3);
      assertThat(r.err()).contains("can be replayed").doesNotContain("\tat ");
    }
  }

  @Test
  void compareSeesWhatAnIndexChangedAcrossRepeatedRuns(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE parts (id int PRIMARY KEY, code int NOT NULL, name text)",
          "INSERT INTO parts SELECT g, g, 'part ' || g FROM generate_series(1, 200000) g", "ANALYZE parts");
      try (Connection c = db.connect()) {
        db.resetStatements();
        try (PreparedStatement ps = c.prepareStatement("SELECT name FROM parts WHERE code = ?")) {
          for (int i = 1; i <= 20; i++) {
            ps.setInt(1, i * 997);
            ps.executeQuery().close();
          }
        }
      }
      String[] args = {"bench", "--url", db.url(), "--rate", "20/s", "--duration", "2s", "--warmup", "0s", "--clients", "2",
          "--repeat", "2", "--format", "json"};
      CliRun before = run(args);
      assertThat(before.exitCode()).as(before.err()).isZero();
      assertThat(new ObjectMapper().readTree(before.out()).get("runs")).hasSize(2);
      db.execute("CREATE INDEX parts_code_idx ON parts (code)");
      CliRun after = run(args);
      Path a = home.resolve("before.json");
      Path b = home.resolve("after.json");
      java.nio.file.Files.writeString(a, before.out());
      java.nio.file.Files.writeString(b, after.out());

      CliRun compared = run("bench", "compare", a.toString(), b.toString());
      assertThat(compared.exitCode()).as(compared.err()).isZero();
      assertThat(compared.out()).contains("2 runs").containsPattern("-\\d+%\\s+lower in every run\\s+SELECT name FROM parts WHERE code = \\$1");
      JsonNode json = new ObjectMapper().readTree(run("bench", "compare", a.toString(), b.toString(), "--format", "json").out());
      JsonNode byCode = null;
      for (JsonNode st : json.get("statements")) {
        if (st.get("query").asText().equals("SELECT name FROM parts WHERE code = $1")) {
          byCode = st;
        }
      }
      assertThat(byCode).isNotNull();
      assertThat(byCode.get("p95").get("ratio").asDouble()).isLessThan(0.5);

      CliRun missing = run("bench", "compare", home.resolve("nope.json").toString(), b.toString());
      assertThat(missing.exitCode()).isEqualTo(64);
      assertThat(missing.err()).contains("no such file");
      // hostile files: not a report, deeply nested, binary with NUL bytes, a directory
      for (String body : new String[] {"{\"hello\": 1}", "[".repeat(100_000), "\u0000\u0001{\"result\u0000\": 1}"}) {
        java.nio.file.Files.writeString(a, body);
        CliRun notReport = run("bench", "compare", a.toString(), b.toString());
        assertThat(notReport.exitCode()).isEqualTo(64);
        assertThat(notReport.err()).contains("not a pgopt bench JSON report").doesNotContain("\tat ");
        assertThat(notReport.err().strip().lines().count()).isLessThanOrEqualTo(2);
      }
      CliRun directory = run("bench", "compare", home.toString(), b.toString());
      assertThat(directory.exitCode()).isEqualTo(64);
      assertThat(directory.err()).doesNotContain("\tat ");
    }
  }

  @Test
  void stagesAPlotAndAnHdrHistogramLog(TestCluster cluster) throws Exception {
    try (TestDatabase db = withWorkload(cluster)) {
      Path png = home.resolve("run.png");
      Path log = home.resolve("run.hlog");
      CliRun r = run("bench", "--url", db.url(), "--stages", "20/s:2s,40/s:2s", "--warmup", "0s", "--clients", "2",
          "--arrivals", "uniform", "--plot", png.toString(), "--hdr-log", log.toString(), "--format", "json");
      assertThat(r.exitCode()).as(r.err()).isZero();
      JsonNode stages = new ObjectMapper().readTree(r.out()).get("stages");
      assertThat(stages).hasSize(2);
      assertThat(stages.get(0).get("scheduled").asLong()).isEqualTo(40);
      assertThat(stages.get(1).get("scheduled").asLong()).isEqualTo(80);
      assertThat(stages.get(1).get("timeline").size()).isBetween(2, 4);
      javax.imageio.ImageIO.setUseCache(false);
      java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
      assertThat(img.getWidth()).isEqualTo(960);
      // the statements beside it: a row for each of the two, each with its p50-p95 bar drawn
      java.awt.image.BufferedImage perStatement = javax.imageio.ImageIO.read(home.resolve("run-statements.png").toFile());
      assertThat(perStatement.getHeight()).isEqualTo(70 + 2 * 30 + 50);
      for (int row = 0; row < 2; row++) {
        int y = 70 + row * 30 + 15;
        long bar = java.util.stream.IntStream.range(450, perStatement.getWidth())
            .filter(x -> (perStatement.getRGB(x, y) & 0xffffff) == 0x1f77b4 || (perStatement.getRGB(x, y) & 0xffffff) == 0xd62728)
            .count();
        assertThat(bar).as("bar of statement %d", row + 1).isPositive();
      }
      // HdrHistogram's interval log: a start time, a legend, then one compressed histogram per second
      // (LoadRunIT decodes one with HdrHistogram's own reader)
      java.util.List<String> lines = java.nio.file.Files.readAllLines(log);
      assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("#[StartTime: "));
      assertThat(lines.stream().filter(l -> l.matches("\\d+\\.\\d+,\\d+\\.\\d+,\\d+\\.\\d+,HISTF[A-Za-z0-9+/=]+")).count())
          .isGreaterThanOrEqualTo(3);

      CliRun bad = run("bench", "--url", db.url(), "--stages", "20/s", "--format", "json");
      assertThat(bad.exitCode()).isEqualTo(64);
      assertThat(bad.err()).contains("is not RATE:DURATION");
    }
  }
}
