package dev.pgopt.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.local.ServiceUser;
import dev.pgopt.sample.SampleDataset;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class BackupDrillIT {
  private static final Clock CLOCK = Clock.systemUTC();

  /** A directory the server user can reach (JUnit's temporary directories are private to us). */
  static Path scratchParent() {
    return ServiceUser.createPrivateDirectory(Path.of(System.getProperty("java.io.tmpdir"),
        "pgopt-drill-test-" + System.nanoTime()));
  }

  static DatabaseTarget target(TestDatabase db) throws Exception {
    return DatabaseTarget.parse(db.url(), Environment.system());
  }

  static BackupRecord backup(TestDatabase db, BackupRepository repo, Clock clock, Retention retention) throws Exception {
    return new LogicalBackup(clock).run(target(db), SessionOptions.defaults(), repo,
        new LogicalBackup.Options(2, 50, retention)).backup();
  }

  @Test
  void theSampleDatasetBackedUpUnderWritesRestoresWithItsSnapshotsRowCounts(TestCluster cluster, @TempDir Path repoDir) throws Exception {
    Path scratch = scratchParent();
    try (TestDatabase db = cluster.createDatabase()) {
      try (Connection c = db.connect()) {
        SampleDataset.load(c, new SampleDataset.Options(0.05, 7, false), CLOCK, SampleDataset.Progress.NONE);
      }
      db.execute("CREATE TABLE audit_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL)",
          "INSERT INTO audit_log (at) SELECT now() FROM generate_series(1, 20000)");
      BackupRepository repo = BackupRepository.create(repoDir);
      // a writer inserts all through the backup: the manifest's counts must be the dump's snapshot, not "now"
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong written = new AtomicLong();
      Thread writer = new Thread(() -> {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
          while (!stop.get()) {
            st.execute("INSERT INTO audit_log (at) SELECT clock_timestamp() FROM generate_series(1, 50)");
            written.addAndGet(50);
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      writer.start();
      Probe.waitUntil(() -> written.get() > 200);
      BackupRecord b;
      try {
        b = backup(db, repo, CLOCK, Retention.defaults());
        long after = written.get();
        Probe.waitUntil(() -> written.get() > after);
      } finally {
        stop.set(true);
        writer.join();
      }
      long rowsNow;
      try (Connection c = db.connect()) {
        rowsNow = Long.parseLong(Probe.text(c, "SELECT count(*) FROM public.audit_log"));
      }
      assertThat(b.tableRows()).containsKey("public.messages").containsKey("public.users").containsKey("public.audit_log");
      assertThat(b.tableRows().get("public.audit_log")).as("counted in the snapshot, while writes went on")
          .isGreaterThan(20000).isLessThan(rowsNow);
      assertThat(b.files()).containsKey("toc.dat");
      assertThat(Files.readString(repo.directory(b).resolve("manifest.json"))).doesNotContain(cluster.password());
      assertThat(repo.list(db.name(), new ArrayList<>())).extracting(BackupRecord::id).containsExactly(b.id());

      DrillReport r = new RestoreDrill(CLOCK).run(repo, db.name(), "latest",
          new RestoreDrill.Options(2, scratch, "SELECT username FROM users LIMIT 5", Duration.ofMinutes(5)));
      assertThat(r.checks()).extracting(DrillReport.Check::name)
          .containsExactly("checksums", "restore", "row counts", "amcheck", "smoke query");
      assertThat(r.passed()).as(r.checks().toString()).isTrue();
      assertThat(r.checks().get(3).detail()).doesNotStartWith("0 ");
      assertThat(r.rto()).isPositive();
      assertThat(r.restore()).isPositive().isLessThan(r.rto());
      assertThat(r.rpo()).isPositive();
      try (Stream<Path> left = Files.list(scratch)) {
        assertThat(left).as("the scratch server is removed").isEmpty();
      }
    } finally {
      BackupRepository.deleteTree(scratch);
    }
  }

  @Test
  void aCorruptedFileFailsTheDrillBeforeAnyServerStarts(TestCluster cluster, @TempDir Path repoDir)
      throws Exception {
    Path scratch = scratchParent();
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE t (id int PRIMARY KEY, body text)",
          "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
      BackupRepository repo = BackupRepository.create(repoDir);
      BackupRecord b = backup(db, repo, CLOCK, Retention.defaults());
      Path data;
      try (Stream<Path> files = Files.list(repo.dumpDirectory(b))) {
        data = files.filter(p -> !p.getFileName().toString().equals("toc.dat")).max((x, y) -> Long.compare(x.toFile().length(),
            y.toFile().length())).orElseThrow();
      }
      try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "rw")) {
        f.seek(f.length() / 2);
        int v = f.read();
        f.seek(f.length() / 2);
        f.write(v ^ 0xff);
      }
      DrillReport r = new RestoreDrill(CLOCK).run(repo, db.name(), b.id(), RestoreDrill.Options.defaults()
          .withScratch(scratch));
      assertThat(r.passed()).isFalse();
      assertThat(r.checks()).singleElement().satisfies(c -> {
        assertThat(c.name()).isEqualTo("checksums");
        assertThat(c.detail()).contains(data.getFileName().toString()).contains("does not match its checksum");
      });
      assertThat(r.rto()).isNull();
      try (Stream<Path> left = Files.list(scratch)) {
        assertThat(left).isEmpty();
      }
      Files.delete(data);
      assertThat(new RestoreDrill(CLOCK).run(repo, db.name(), b.id(), RestoreDrill.Options.defaults().withScratch(scratch))
          .checks().get(0).detail()).contains(data.getFileName() + " is missing");
    } finally {
      BackupRepository.deleteTree(scratch);
    }
  }

  @Test
  void aChangedManifestNeverReachesAServerNorMovesRetentionOutOfTheRepository(TestCluster cluster, @TempDir Path repoDir,
      @TempDir Path victim) throws Exception {
    Path scratch = scratchParent();
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t SELECT generate_series(1, 100)");
      BackupRepository repo = BackupRepository.create(repoDir);
      BackupRecord b = backup(db, repo, CLOCK, Retention.defaults());
      Path manifest = repo.directory(b).resolve("manifest.json");
      com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
      var n = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(Files.readString(manifest));
      ((com.fasterxml.jackson.databind.node.ObjectNode) n.get("table_rows")).put("public.t; DROP TABLE t; --", 100);
      Files.writeString(manifest, n.toString());
      DrillReport r = new RestoreDrill(CLOCK).run(repo, db.name(), b.id(), RestoreDrill.Options.defaults().withScratch(scratch));
      assertThat(r.passed()).isFalse();
      assertThat(r.checks()).filteredOn(c -> c.name().equals("row counts")).singleElement()
          .satisfies(c -> assertThat(c.detail()).contains("which is not a table name"));
      assertThat(r.checks()).filteredOn(c -> c.name().equals("amcheck")).singleElement()
          .satisfies(c -> assertThat(c.detail()).startsWith("1 B-tree"));

      // an id pointing out of the repository: not listed, not restored, not removed by retention
      Files.writeString(victim.resolve("keep"), "x");
      n.put("id", "../../../../../../../.." + victim);
      Files.writeString(manifest, n.toString());
      List<String> problems = new ArrayList<>();
      assertThat(repo.list(db.name(), problems)).isEmpty();
      assertThat(problems).singleElement().satisfies(p -> assertThat(p).contains("not the directory it is in"));
      backup(db, repo, Clock.offset(CLOCK, Duration.ofSeconds(2)), new Retention(1, null));
      assertThat(victim.resolve("keep")).exists();
    } finally {
      BackupRepository.deleteTree(scratch);
    }
  }

  @Test
  void aSmokeQueryCanOnlyRead(TestCluster cluster, @TempDir Path repoDir) throws Exception {
    Path scratch = scratchParent();
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t SELECT generate_series(1, 100)");
      BackupRepository repo = BackupRepository.create(repoDir);
      backup(db, repo, CLOCK, Retention.defaults());
      for (String hostile : List.of("DELETE FROM t RETURNING id", "SELECT 1; DROP TABLE t", "SELECT id FROM t WHERE '\u0000' = ''",
          "COPY (SELECT 1) TO PROGRAM 'touch " + scratch.resolve("owned") + "'")) {
        DrillReport r = new RestoreDrill(CLOCK).run(repo, db.name(), null,
            new RestoreDrill.Options(1, scratch, hostile, Duration.ofMinutes(1)));
        assertThat(r.checks().get(r.checks().size() - 1)).satisfies(c -> {
          assertThat(c.name()).isEqualTo("smoke query");
          assertThat(c.passed()).as(hostile + ": " + c.detail()).isFalse();
        });
      }
      assertThat(scratch.resolve("owned")).doesNotExist();
      try (Connection c = db.connect()) {
        assertThat(Probe.text(c, "SELECT count(*) FROM t")).isEqualTo("100");
      }
    } finally {
      BackupRepository.deleteTree(scratch);
    }
  }

  @Test
  void retentionKeepsTheNewestAndAFailedBackupLeavesNothing(TestCluster cluster, @TempDir Path repoDir) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE t (id int)");
      BackupRepository repo = BackupRepository.create(repoDir);
      Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
      List<String> ids = new ArrayList<>();
      for (int day = 0; day < 3; day++) {
        Clock at = Clock.fixed(t0.plus(Duration.ofDays(day)), ZoneOffset.UTC);
        ids.add(backup(db, repo, at, new Retention(2, null)).id());
      }
      assertThat(ids).containsExactly("20261201T000000Z", "20261202T000000Z", "20261203T000000Z");
      assertThat(repo.list(db.name(), new ArrayList<>())).extracting(BackupRecord::id).containsExactly(ids.get(1), ids.get(2));
      // by age: the newest stays, older ones only while younger than 36 h (the one of a day ago)
      Clock later = Clock.fixed(t0.plus(Duration.ofDays(3)), ZoneOffset.UTC);
      backup(db, repo, later, new Retention(1, Duration.ofHours(36)));
      assertThat(repo.list(db.name(), new ArrayList<>())).extracting(BackupRecord::id)
          .containsExactly(ids.get(2), "20261204T000000Z");

      db.execute("CREATE TABLE locked (id int)", "REVOKE ALL ON locked FROM PUBLIC");
      DatabaseTarget other = DatabaseTarget.parse(db.url().replace("/" + db.name(), "/no_such_database_" + db.name()),
          Environment.system());
      assertThatThrownBy(() -> new LogicalBackup(CLOCK).run(other, SessionOptions.defaults(), repo, LogicalBackup.Options.defaults()))
          .isInstanceOf(BackupException.class).hasMessageContaining("does not exist").hasMessageNotContaining(cluster.password());
      try (Stream<Path> all = Files.walk(repoDir)) {
        assertThat(all.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
      }
    }
  }

  @Test
  void badRepositoriesAndUnknownBackupsSayWhatToDo(TestCluster cluster, @TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    assertThatThrownBy(() -> BackupRepository.at(dir.resolve("missing"))).isInstanceOf(BackupException.class)
        .hasMessageContaining("does not exist or is not a directory");
    assertThatThrownBy(() -> BackupRepository.create(file.resolve("repo"))).isInstanceOf(BackupException.class)
        .hasMessageContaining("cannot create backup repository");
    BackupRepository repo = BackupRepository.create(dir.resolve("repo"));
    assertThatThrownBy(() -> new RestoreDrill(CLOCK).run(repo, "../etc", "latest", RestoreDrill.Options.defaults()))
        .isInstanceOf(BackupException.class).hasMessageContaining("no backup of database ../etc")
        .hasMessageContaining("pgopt backup list");
    assertThat(BackupRepository.encode("../etc")).isEqualTo("%2E%2E%2Fetc");
    assertThat(BackupRepository.decode(BackupRepository.encode("Straße/..\u0000x"))).isEqualTo("Straße/..\u0000x");
    assertThat(repo.databases()).isEmpty();
  }

  @Test
  void aFullDiskFailsTheBackupWithOneLineAndLeavesNoPartialBackup(TestCluster cluster, @TempDir Path dir) throws Exception {
    Path small = dir.resolve("small");
    Files.createDirectories(small);
    boolean mounted = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", small.toString())
        .inheritIO().start().waitFor() == 0;
    org.junit.jupiter.api.Assumptions.assumeTrue(mounted, "needs root to mount a small tmpfs");
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE big (id int, body text)",
          "INSERT INTO big SELECT g, md5(g::text) || md5((g + 1)::text) FROM generate_series(1, 100000) g");
      BackupRepository repo = BackupRepository.create(small);
      assertThatThrownBy(() -> backup(db, repo, CLOCK, Retention.defaults())).isInstanceOf(BackupException.class)
          .hasMessageContaining("disk is full").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
      try (Stream<Path> all = Files.walk(small)) {
        assertThat(all.filter(Files::isRegularFile)).isEmpty();
      }
    } finally {
      new ProcessBuilder("umount", small.toString()).inheritIO().start().waitFor();
    }
  }

  @Test
  void aRepositoryThatCannotBeWrittenIsRefusedBeforeTheDumpStarts(@TempDir Path dir) throws Exception {
    Path readOnly = dir.resolve("read-only");
    Files.createDirectories(readOnly);
    boolean mounted = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", readOnly.toString())
        .inheritIO().start().waitFor() == 0;
    org.junit.jupiter.api.Assumptions.assumeTrue(mounted, "needs root to mount a read-only tmpfs");
    try {
      // root ignores file modes, so a read-only file system stands in for "no permission"
      assertThatThrownBy(() -> BackupRepository.create(readOnly)).isInstanceOf(BackupException.class)
          .hasMessageContaining("cannot write to backup repository " + readOnly)
          .hasMessageContaining("give a directory pgopt can write");
      assertThatThrownBy(() -> BackupRepository.create(readOnly.resolve("nested"))).isInstanceOf(BackupException.class)
          .hasMessageContaining("cannot create backup repository").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
      assertThat(BackupRepository.at(readOnly).list("app", new java.util.ArrayList<>())).isEmpty();
    } finally {
      new ProcessBuilder("umount", readOnly.toString()).inheritIO().start().waitFor();
    }
  }
}
