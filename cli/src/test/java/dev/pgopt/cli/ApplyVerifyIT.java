package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** apply and verify on real indexes. */
@ExtendWith(PostgresExtension.class)
class ApplyVerifyIT {
  @TempDir
  Path home;

  private CliRun run(String... args) {
    return CliRun.of(Map.of(), home, args);
  }

  private static TestDatabase withMissingIndex(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    db.execute("CREATE TABLE orders (id int PRIMARY KEY, account int, placed timestamptz, pad text)",
        "INSERT INTO orders SELECT g, g % 2000, now() - g * interval '1 minute', md5(g::text) FROM generate_series(1, 60000) g",
        "ANALYZE orders");
    try (Connection c = db.connect()) {
      Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'orders' AND n_tup_ins >= 60000"));
      // the load came before the statements' window
      db.resetStatements();
      lookups(c, 40);
    }
    return db;
  }

  private static void lookups(Connection c, int n) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("SELECT id FROM orders WHERE account = ?")) {
      for (int i = 0; i < n; i++) {
        ps.setInt(1, i);
        ps.executeQuery().close();
      }
    }
  }

  @Test
  void dryRunThenExecuteThenVerify(TestCluster cluster) throws Exception {
    try (TestDatabase db = withMissingIndex(cluster); Connection c = db.connect()) {
      String id = "index.missing:public.orders(account)";
      CliRun dry = run("apply", "--url", db.url(), "--id", id);
      assertThat(dry.exitCode()).as(dry.all()).isZero();
      assertThat(dry.out()).contains("CREATE INDEX CONCURRENTLY orders_account_idx ON public.orders (account);").contains("Dry run");
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_account_idx'")).isZero();

      CliRun exec = run("apply", "--url", db.url(), "--id", id, "--execute");
      assertThat(exec.exitCode()).as(exec.all()).isZero();
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
          + "WHERE i.relname = 'orders_account_idx' AND x.indisvalid")).isEqualTo(1);
      assertThat(Probe.text(c, "SELECT status || ' ' || rule || ' ' || applied_by FROM pgopt.actions"))
          .isEqualTo("succeeded index.missing " + cluster.superuser());
      assertThat(Probe.text(c, "SELECT statements_before::text FROM pgopt.actions")).contains("\"calls\": 40");

      assertThat(run("verify", "--url", db.url()).out()).contains("only 0 calls");
      lookups(c, 30);
      CliRun verify = run("verify", "--url", db.url());
      assertThat(verify.out()).contains("✔ " + id).contains("faster over 30 calls");
      assertThat(Probe.text(c, "SELECT verification->>'verdict' FROM pgopt.actions")).isEqualTo("improved");
      assertThat(run("verify", "--url", db.url()).out()).contains("Nothing to verify");
    }
  }

  @Test
  void verifyRunsTheBenchOfBeforeAgainAndNamesTheActionsStatements(TestCluster cluster) throws Exception {
    try (TestDatabase db = withMissingIndex(cluster); Connection c = db.connect()) {
      Path before = home.resolve("before.json");
      CliRun bench = run("bench", "--url", db.url(), "--rate", "40/s", "--duration", "2s", "--warmup", "0s", "--clients", "2",
          "--arrivals", "uniform", "--format", "json");
      assertThat(bench.exitCode()).as(bench.err()).isZero();
      java.nio.file.Files.writeString(before, bench.out());
      String id = "index.missing:public.orders(account)";
      assertThat(run("apply", "--url", db.url(), "--id", id, "--execute").exitCode()).isZero();

      Path after = home.resolve("after.json");
      CliRun verify = run("verify", "--url", db.url(), "--bench", before.toString(), "--bench-save", after.toString());
      assertThat(verify.exitCode()).as(verify.all()).isZero();
      assertThat(verify.err()).contains("running the bench of " + before + " again: 40.0/s for 2.0 s, 2 clients");
      // the lookup read 60,000 rows before and one index range after: well beyond a single run's noise
      assertThat(verify.out()).contains("Under load (pgopt bench, the same options as " + before + ")")
          .containsPattern("likely lower \\(single runs\\)\\s+SELECT id FROM orders WHERE account = \\$1")
          .containsPattern("under load, queryid -?[0-9]+: p95 [0-9.]+ → [0-9.]+ ms \\(likely lower \\(single runs\\)\\)");
      // the replayed lookups are calls after the action: the statistics' verdict needs no waiting for traffic
      assertThat(verify.out()).contains("✔ " + id);
      assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(java.nio.file.Files.readString(after))
          .path("result").path("completed").asLong()).isEqualTo(80);

      // what cannot be repeated from a report is one line
      CliRun missing = run("verify", "--url", db.url(), "--bench", home.resolve("nope.json").toString());
      assertThat(missing.exitCode()).isEqualTo(64);
      assertThat(missing.err()).contains("no such report");
      CliRun saveAlone = run("verify", "--url", db.url(), "--bench-save", after.toString());
      assertThat(saveAlone.exitCode()).isEqualTo(64);
      Path search = home.resolve("search.json");
      java.nio.file.Files.writeString(search, run("bench", "--url", db.url(), "--find-max", "--p95", "1s", "--rate", "400/s",
          "--duration", "1s", "--warmup", "0s", "--format", "json").out());
      CliRun notRepeatable = run("verify", "--url", db.url(), "--bench", search.toString());
      assertThat(notRepeatable.exitCode()).isEqualTo(64);
      assertThat(notRepeatable.err()).contains("a find max run cannot be repeated").doesNotContain("Exception");
      java.nio.file.Files.writeString(search, "{\"result\": 1}");
      assertThat(run("verify", "--url", db.url(), "--bench", search.toString()).err()).contains("does not record its options");
    }
  }

  @Test
  void lockTimeoutRetriesThenGivesUpLeavingNothingInvalid(TestCluster cluster) throws Exception {
    try (TestDatabase db = withMissingIndex(cluster); Connection locker = db.connect(); Connection c = db.connect()) {
      locker.setAutoCommit(false);
      locker.createStatement().execute("LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE");
      CliRun r = run("apply", "--url", db.url(), "--id", "index.missing:public.orders(account)", "--execute",
          "--lock-timeout", "200ms", "--retries", "1");
      assertThat(r.exitCode()).isEqualTo(ExitCode.UNKNOWN);
      assertThat(r.out()).contains("✖").contains("gave up after 2 attempts waiting for locks").contains("no INVALID index was left behind");
      locker.rollback();
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_index WHERE NOT indisvalid")).isZero();
      assertThat(Probe.text(c, "SELECT status FROM pgopt.actions")).isEqualTo("failed");
    }
  }

  @Test
  void anInvalidUniqueIndexIsRebuiltOnlyWithoutDuplicatesAndNeverDroppedFirst(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase(); Connection c = db.connect()) {
      db.execute("CREATE TABLE emails (address text)", "INSERT INTO emails VALUES ('a'), ('a')");
      try {
        c.createStatement().execute("CREATE UNIQUE INDEX CONCURRENTLY emails_address ON emails (address)");
      } catch (java.sql.SQLException expected) {
        // leaves an INVALID index behind
      }
      CliRun refused = run("apply", "--url", db.url(), "--id", "index.invalid:public.emails_address", "--execute");
      assertThat(refused.exitCode()).isEqualTo(ExitCode.USAGE);
      assertThat(refused.err()).contains("advice without a single statement to run");
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_class WHERE relname = 'emails_address'")).isEqualTo(1);
      db.execute("DELETE FROM emails WHERE ctid = (SELECT max(ctid) FROM emails)");
      CliRun rebuilt = run("apply", "--url", db.url(), "--id", "index.invalid:public.emails_address", "--execute");
      assertThat(rebuilt.exitCode()).as(rebuilt.all()).isZero();
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
          + "WHERE i.relname = 'emails_address' AND x.indisvalid AND x.indisunique")).isEqualTo(1);
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_index WHERE NOT indisvalid")).isZero();
    }
  }

  @Test
  void migrationsForTeamsThatReview(TestCluster cluster) throws Exception {
    try (TestDatabase db = withMissingIndex(cluster); Connection c = db.connect()) {
      Path dir = home.resolve("db/migration");
      CliRun r = run("apply", "--url", db.url(), "--rule", "index.missing", "--emit-migration", dir.toString());
      assertThat(r.exitCode()).as(r.all()).isZero();
      List<Path> files;
      try (Stream<Path> s = Files.list(dir)) {
        files = s.sorted().toList();
      }
      Path sql = files.stream().filter(p -> p.toString().endsWith(".sql")).findFirst().orElseThrow();
      assertThat(sql.getFileName().toString()).matches("V\\d{14}\\.1__pgopt_index_missing_public_orders_account\\.sql");
      assertThat(Files.readString(sql)).contains("CREATE INDEX CONCURRENTLY orders_account_idx ON public.orders (account);")
          .contains("-- undo: DROP INDEX CONCURRENTLY public.orders_account_idx;");
      assertThat(Files.readString(Path.of(sql + ".conf"))).isEqualTo("executeInTransaction=false\n");
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_account_idx'")).isZero();
    }
  }

  @Test
  void badInput(TestCluster cluster) throws Exception {
    try (TestDatabase db = withMissingIndex(cluster); Connection c = db.connect()) {
      assertThat(run("apply", "--url", db.url()).exitCode()).isEqualTo(ExitCode.USAGE);
      CliRun unknown = run("apply", "--url", db.url(), "--id", "index.missing:public.nope(x)");
      assertThat(unknown.exitCode()).isEqualTo(ExitCode.USAGE);
      assertThat(unknown.err()).contains("unknown finding id 'index.missing:public.nope(x)'");
      cluster.execute("postgres", "DROP ROLE IF EXISTS reader", "CREATE ROLE reader LOGIN PASSWORD 'reader-pw' IN ROLE pg_monitor");
      db.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader");
      try {
        CliRun readOnly = run("apply", "--url", "postgres://reader:reader-pw@127.0.0.1:" + cluster.port() + "/" + db.name(),
            "--id", "index.missing:public.orders(account)", "--execute");
        assertThat(readOnly.exitCode()).as(readOnly.all()).isEqualTo(ExitCode.UNKNOWN);
        assertThat(readOnly.err()).contains("role reader cannot write the audit log").contains("nothing was applied")
            .doesNotContain("reader-pw");
        assertThat(Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_account_idx'")).isZero();
      } finally {
        db.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM reader");
        cluster.execute("postgres", "DROP ROLE IF EXISTS reader");
      }
    }
  }
}
