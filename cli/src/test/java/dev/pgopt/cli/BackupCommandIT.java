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
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** pgopt backup run / list / drill, and apply's --backup-first, on real servers and real pg_dump / pg_restore. */
@ExtendWith(PostgresExtension.class)
class BackupCommandIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path home;

  private CliRun run(String... args) {
    return CliRun.of(Map.of(), home, args);
  }

  private static void lookups(Connection c) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("SELECT id FROM orders WHERE account = ?")) {
      for (int i = 0; i < 40; i++) {
        ps.setInt(1, i);
        ps.executeQuery().close();
      }
    }
  }

  private static TestDatabase withMissingIndex(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    db.execute("CREATE TABLE orders (id int PRIMARY KEY, account int, pad text)",
        "INSERT INTO orders SELECT g, g % 2000, md5(g::text) FROM generate_series(1, 60000) g",
        "ANALYZE orders");
    try (Connection c = db.connect()) {
      Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'orders' AND n_tup_ins >= 60000"));
      db.resetStatements();
      lookups(c);
    }
    return db;
  }

  @Test
  void runListDrill(TestCluster cluster) throws Exception {
    Path repo = home.resolve("backups");
    Path scratch = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "pgopt-cli-drill-" + System.nanoTime()));
    try (TestDatabase db = withMissingIndex(cluster)) {
      CliRun backup = run("backup", "run", "--url", db.url(), "--repo", repo.toString());
      assertThat(backup.exitCode()).as(backup.all()).isZero();
      assertThat(backup.out()).contains("backup ").contains(" of " + db.name() + ": ").contains("1 tables counted")
          .contains("pgopt backup drill --repo " + repo + " --database " + db.name());
      assertThat(backup.all()).doesNotContain(cluster.password());

      JsonNode list = JSON.readTree(run("backup", "list", "--repo", repo.toString(), "--format", "json").out());
      assertThat(list.path("backups")).hasSize(1);
      assertThat(list.path("backups").get(0).path("table_rows").path("public.orders").asLong()).isEqualTo(60000);
      assertThat(run("backup", "list", "--repo", repo.toString()).out()).contains(db.name()).contains("1 tables counted");

      CliRun drill = run("backup", "drill", "--repo", repo.toString(), "--database", db.name(), "--smoke",
          "SELECT id FROM orders WHERE account = 7", "--scratch-dir", scratch.toString(), "--format", "json");
      assertThat(drill.exitCode()).as(drill.all()).isZero();
      JsonNode report = JSON.readTree(drill.out());
      assertThat(report.path("passed").asBoolean()).isTrue();
      assertThat(report.path("rto_seconds").asDouble()).isPositive();
      assertThat(report.path("checks")).hasSize(5);

      CliRun human = run("backup", "drill", "--repo", repo.toString(), "--database", db.name(), "--scratch-dir", scratch.toString());
      assertThat(human.exitCode()).as(human.all()).isZero();
      assertThat(human.out()).contains("row counts   ok").contains("RTO ").contains("RPO ").contains("PASSED");

      CliRun verified = run("backup", "verify", "--repo", repo.toString());
      assertThat(verified.exitCode()).as(verified.all()).isZero();
      assertThat(verified.out()).startsWith("ok").contains("all match the manifest");
      Path data;
      try (Stream<Path> files = Files.walk(repo)) {
        data = files.filter(p -> p.getFileName().toString().endsWith(".dat.gz")).findFirst().orElseThrow();
      }
      Files.writeString(data, "not what was backed up");
      CliRun damaged = run("backup", "verify", "--repo", repo.toString(), "--database", db.name());
      assertThat(damaged.exitCode()).isEqualTo(ExitCode.CRITICAL);
      assertThat(damaged.out()).contains("FAILED").contains(data.getFileName().toString()).contains("does not match its checksum");

      CliRun before = run("backup", "drill", "--repo", repo.toString(), "--database", db.name(), "--to", "2020-01-01T00:00:00Z");
      assertThat(before.exitCode()).isEqualTo(ExitCode.UNKNOWN);
      assertThat(before.err()).contains("before the first backup").doesNotContain("\tat ");
      try (Stream<Path> left = Files.list(scratch)) {
        assertThat(left).isEmpty();
      }
    } finally {
      Files.deleteIfExists(scratch);
    }
  }

  @Test
  void badInputIsOneLineWithItsExitCode(TestCluster cluster) throws Exception {
    Path file = Files.writeString(home.resolve("file"), "x");
    assertThat(run("backup", "run", "--url", "postgres://x@127.0.0.1:1/x").exitCode()).isEqualTo(ExitCode.USAGE);
    CliRun notDir = run("backup", "run", "--url", "postgres://x@127.0.0.1:1/x", "--repo", file.resolve("r").toString());
    assertThat(notDir.exitCode()).isEqualTo(ExitCode.UNKNOWN);
    assertThat(notDir.err().strip()).contains("cannot create backup repository").doesNotContain("\n");
    CliRun badJobs = run("backup", "run", "--url", "postgres://x@127.0.0.1:1/x", "--repo", home.toString(), "--jobs", "0");
    assertThat(badJobs.exitCode()).isEqualTo(ExitCode.USAGE);
    CliRun noRepo = run("backup", "list", "--repo", home.resolve("missing").toString());
    assertThat(noRepo.exitCode()).isEqualTo(ExitCode.UNKNOWN);
    assertThat(noRepo.err()).contains("does not exist or is not a directory");
    CliRun badTo = run("backup", "drill", "--repo", home.toString(), "--database", "d", "--to", "yesterday");
    assertThat(badTo.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(badTo.err()).contains("ISO-8601");
    assertThat(run("backup", "drill", "--database", "d").err()).contains("--repo is required");
    CliRun noKey = run("backup", "drill", "--neon-project", "shiny-wind-028834", "--url", "postgres://app:secret-pw@h/app");
    assertThat(noKey.exitCode()).isEqualTo(ExitCode.UNKNOWN);
    assertThat(noKey.err().strip()).contains("set NEON_API_KEY").doesNotContain("\n").doesNotContain("secret-pw");
    CliRun neonAndDatabase = run("backup", "drill", "--neon-project", "p", "--database", "d", "--url", "postgres://app@h/app");
    assertThat(neonAndDatabase.exitCode()).isEqualTo(ExitCode.USAGE);
    CliRun none = run("backup", "drill", "--repo", home.toString(), "--database", "../../etc");
    assertThat(none.exitCode()).isEqualTo(ExitCode.UNKNOWN);
    assertThat(none.err()).contains("no backup of database ../../etc");
    try (TestDatabase db = cluster.createDatabase()) {
      // pgBackRest: the test-kit server opens no Unix socket, which pgBackRest needs
      CliRun setup = run("backup", "setup", "--url", db.url(), "--repo", home.resolve("pgbr").toString());
      assertThat(setup.exitCode()).isEqualTo(ExitCode.UNKNOWN);
      assertThat(setup.err()).contains("no Unix socket").doesNotContain(cluster.password());
      CliRun noSetup = run("backup", "drill", "--physical", "--url", db.url(), "--repo", home.resolve("none").toString());
      assertThat(noSetup.exitCode()).isEqualTo(ExitCode.UNKNOWN);
      assertThat(noSetup.err()).contains("run pgopt backup setup");
      assertThat(run("backup", "run", "--physical", "--type", "weekly", "--url", db.url(), "--repo", home.toString()).exitCode())
          .isEqualTo(ExitCode.USAGE);
      assertThat(run("backup", "drill", "--repo", home.toString()).err()).contains("--database is required");
      CliRun refused = run("backup", "run", "--url", db.url().replace(cluster.password(), "wrong"), "--repo", home.resolve("r").toString());
      assertThat(refused.exitCode()).isEqualTo(ExitCode.UNKNOWN);
      assertThat(refused.all()).contains("password").doesNotContain(cluster.password()).doesNotContain("\tat ");
    }
  }

  @Test
  void applyBacksUpFirstOrRefusesWithoutAFreshBackup(TestCluster cluster) throws Exception {
    Path repo = home.resolve("apply-backups");
    String id = "index.missing:public.orders(account)";
    try (TestDatabase db = withMissingIndex(cluster); Connection c = db.connect()) {
      CliRun refused = CliRun.of(Map.of("PGOPT_BACKUP_REPO", repo.toString(), "PGOPT_REQUIRE_BACKUP_WITHIN", "1h"), home,
          "apply", "--url", db.url(), "--id", id, "--execute");
      assertThat(refused.exitCode()).isEqualTo(ExitCode.UNKNOWN);
      assertThat(refused.err()).contains("no backup of " + db.name()).contains("--backup-first").contains("nothing was executed");
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_account_idx'")).isZero();

      CliRun first = run("apply", "--url", db.url(), "--id", id, "--execute", "--backup-first", "--backup-repo", repo.toString());
      assertThat(first.exitCode()).as(first.all()).isZero();
      assertThat(first.out()).contains("Backing up " + db.name()).contains("restore drill: pgopt backup drill");
      assertThat(first.out().indexOf("backup ")).isLessThan(first.out().indexOf("✔"));
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_account_idx'")).isEqualTo(1);

      // the backup made by the first run now satisfies the requirement
      db.execute("DROP INDEX orders_account_idx");
      // the application goes on querying (and in a long suite, the shared server's pg_stat_statements may have evicted
      // the first calls: its 5,000 entries are shared by every test database)
      lookups(c);
      CliRun again = CliRun.of(Map.of("PGOPT_BACKUP_REPO", repo.toString(), "PGOPT_REQUIRE_BACKUP_WITHIN", "1h"), home,
          "apply", "--url", db.url(), "--id", id, "--execute");
      assertThat(again.exitCode()).as(again.all()).isZero();
      CliRun noRepo = run("apply", "--url", db.url(), "--id", id, "--execute", "--backup-first");
      assertThat(noRepo.exitCode()).isEqualTo(ExitCode.USAGE);
      assertThat(noRepo.err()).contains("needs a repository");
    }
  }
}
