package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code pgopt partition migrate|maintain} and {@code pgopt retention run|drop|restore} from the command line. */
@ExtendWith(PostgresExtension.class)
class LifecycleCommandsIT {
  @TempDir
  Path home;

  @TempDir
  Path archive;

  private CliRun run(String... args) {
    return CliRun.of(Map.of(), home, args);
  }

  @Test
  void aTableIsMigratedKeptUpAndItsOldMonthsArchivedFromTheCommandLine(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz NOT NULL, kind text)",
          "INSERT INTO events (at, kind) SELECT now() - (g % 300) * interval '1 day', 'k' || g % 5 FROM generate_series(1, 30000) g");
      CliRun dry = run("partition", "migrate", "--url", db.url(), "--table", "events", "--column", "at");
      assertThat(dry.exitCode()).as(dry.all()).isZero();
      assertThat(dry.out()).contains("partitions and a default one").contains("change: primary key (id) becomes (id, at)")
          .contains("Dry run: add --execute --accept-key-change");
      CliRun noAccept = run("partition", "migrate", "--url", db.url(), "--table", "events", "--column", "at", "--execute");
      assertThat(noAccept.exitCode()).isEqualTo(ExitCode.USAGE);
      assertThat(noAccept.err()).contains("agree with --accept-key-change");
      CliRun go = run("partition", "migrate", "--url", db.url(), "--table", "events", "--column", "at", "--execute",
          "--accept-key-change");
      assertThat(go.exitCode()).as(go.all()).isZero();
      assertThat(go.out()).contains("copied: 30000 rows in all").contains("compared in one snapshot: 30000 rows")
          .contains("swapped under a lock held");
      assertThat(run("partition", "migrate", "--url", db.url(), "--table", "events", "--status").out()).contains("at swapped");
      assertThat(run("partition", "migrate", "--url", db.url(), "--table", "events", "--finish").exitCode()).isZero();

      CliRun ahead = run("partition", "maintain", "--url", db.url(), "--table", "events", "--premake", "6", "--execute");
      assertThat(ahead.exitCode()).as(ahead.all()).isZero();
      assertThat(ahead.out()).contains("interval 1 month, 6 ahead").contains("made  CREATE TABLE public.events_p");

      CliRun plan = run("retention", "run", "--url", db.url(), "--table", "events", "--keep", "4 months", "--archive", archive.toString());
      assertThat(plan.exitCode()).as(plan.all()).isZero();
      assertThat(plan.out()).contains("Dry run: add --execute");
      CliRun done = run("retention", "run", "--url", db.url(), "--table", "events", "--keep", "4 months", "--archive",
          archive.toString(), "--execute", "--format", "json");
      assertThat(done.exitCode()).as(done.all()).isZero();
      com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(done.out());
      assertThat(j.path("partitions")).isNotEmpty();
      String first = j.path("partitions").get(0).path("name").asText();
      assertThat(j.path("partitions").get(0).path("outcome").asText()).isEqualTo("archived, proven and dropped");
      assertThat(Files.exists(archive.resolve("public.events").resolve(first + ".manifest.json"))).isTrue();
      CliRun back = run("retention", "restore", "--url", db.url(), "--table", "events", "--archive", archive.toString(),
          "--partition", first, "--into-schema", "archived");
      assertThat(back.exitCode()).as(back.all()).isZero();
      assertThat(back.out()).contains("restored archived." + first);
    }
  }

  /** A migration's process killed (SIGKILL) in the middle of the copy; the next run resumes and finishes the same. */
  @Test
  void aKilledMigrationResumesWhereItStopped(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE big (id bigserial PRIMARY KEY, at timestamptz NOT NULL, v int)",
          "INSERT INTO big (at, v) SELECT now() - (g % 200) * interval '1 day', g FROM generate_series(1, 600000) g");
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
          System.getProperty("java.class.path"), "dev.pgopt.cli.Main", "partition", "migrate", "--url", db.url(), "--table", "big",
          "--column", "at", "--execute", "--accept-key-change", "--batch-time", "20ms")
          .redirectErrorStream(true).redirectOutput(home.resolve("killed.log").toFile()).start();
      try (java.sql.Connection c = db.connect()) {
        dev.pgopt.testkit.Probe.waitUntil(() -> {
          try {
            return dev.pgopt.connect.Sql.list(c, "SELECT 1 FROM pg_class WHERE relname = 'partition_migrations'", rs -> 1).size() == 1
                && dev.pgopt.connect.Sql.one(c, "SELECT coalesce(max(rows_copied), 0) FROM pgopt.partition_migrations", rs -> rs.getLong(1)) > 0;
          } catch (java.sql.SQLException e) {
            return false;
          }
        });
        p.destroyForcibly().waitFor();
        long copied = dev.pgopt.connect.Sql.one(c, "SELECT rows_copied FROM pgopt.partition_migrations", rs -> rs.getLong(1));
        assertThat(copied).as(Files.readString(home.resolve("killed.log"))).isBetween(1L, 599_999L);
      }
      CliRun status = run("partition", "migrate", "--url", db.url(), "--table", "big", "--status");
      assertThat(status.out()).contains("at backfill");
      CliRun again = run("partition", "migrate", "--url", db.url(), "--table", "big", "--column", "at", "--execute",
          "--accept-key-change");
      assertThat(again.exitCode()).isEqualTo(ExitCode.CRITICAL);
      assertThat(again.err()).contains("is under way (at backfill): --resume to go on");
      CliRun resumed = run("partition", "migrate", "--url", db.url(), "--table", "big", "--resume");
      assertThat(resumed.exitCode()).as(resumed.all()).isZero();
      assertThat(resumed.out()).contains("copied: 600000 rows in all").contains("compared in one snapshot: 600000 rows");
    }
  }

  @Test
  void badInputIsOneLineWithItsExitCode(TestCluster cluster) {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE plain (id int PRIMARY KEY, at timestamptz)", "INSERT INTO plain VALUES (1, NULL)");
      CliRun nulls = run("partition", "migrate", "--url", db.url(), "--table", "plain", "--column", "at");
      assertThat(nulls.exitCode()).isEqualTo(ExitCode.CRITICAL);
      assertThat(nulls.out()).contains("cannot: at has NULLs");
      CliRun noColumn = run("partition", "migrate", "--url", db.url(), "--table", "plain");
      assertThat(noColumn.exitCode()).isEqualTo(ExitCode.USAGE);
      CliRun notPartitioned = run("retention", "run", "--url", db.url(), "--table", "plain", "--keep", "1 month", "--archive", "/tmp/x");
      assertThat(notPartitioned.exitCode()).isEqualTo(ExitCode.CRITICAL);
      assertThat(notPartitioned.err()).contains("public.plain is not partitioned").doesNotContain("Exception");
      CliRun missing = run("retention", "restore", "--url", db.url(), "--table", "plain", "--archive", "/tmp/none", "--partition", "p1");
      assertThat(missing.exitCode()).isEqualTo(ExitCode.CRITICAL);
      assertThat(missing.err()).contains("no archive of partition 'p1'");
      CliRun maintainPlain = run("partition", "maintain", "--url", db.url(), "--table", "plain");
      assertThat(maintainPlain.exitCode()).isEqualTo(ExitCode.CRITICAL);
      assertThat(run("partition", "migrate", "--url", db.url(), "--table", "plain", "--undo", "--finish").exitCode())
          .isEqualTo(ExitCode.USAGE);
    }
  }
}
