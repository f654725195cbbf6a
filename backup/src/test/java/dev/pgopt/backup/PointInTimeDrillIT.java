package dev.pgopt.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.local.FreePort;
import dev.pgopt.local.LocalPostgres;
import dev.pgopt.local.ServiceUser;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * pgBackRest from Debian against a server of our own (pgBackRest reaches it through a Unix socket, which test-kit
 * servers do not open): setup, full and incremental backups under writes, and a drill to a time between two known
 * commits that holds exactly the first.
 */
@ExtendWith(PostgresExtension.class) // for the fast tier's skip: it starts servers of its own, not the shared one
class PointInTimeDrillIT {
  private static final String USER = "pitr";
  private static final String PASSWORD = "pitr-" + Long.toHexString(System.nanoTime());

  @Test
  void aDrillToATimeBetweenTwoCommitsHoldsExactlyTheOneBefore() throws Exception {
    Path root = ServiceUser.createPrivateDirectory(Path.of(System.getProperty("java.io.tmpdir"), "pgopt-pitr-" + System.nanoTime()));
    Path socket = ServiceUser.createPrivateDirectory(root.resolve("socket"));
    Path scratch = ServiceUser.createPrivateDirectory(root.resolve("scratch"));
    LocalPostgres pg = LocalPostgres.at(root.resolve("data"));
    try {
      pg.initialize(USER, PASSWORD, false);
      int port = FreePort.find();
      Map<String, String> settings = LocalPostgres.standardSettings(port);
      settings.put("unix_socket_directories", "'" + socket + "'");
      settings.put("fsync", "off");
      pg.configure(settings);
      pg.start();
      DatabaseTarget target = DatabaseTarget.parse("postgres://" + USER + ":" + PASSWORD + "@127.0.0.1:" + port + "/postgres",
          Environment.system());
      Path repo = root.resolve("repo");
      try (Connection c = connect(port)) {
        PgBackRest.Setup first = PgBackRest.setup(c, target, repo, "main", 2);
        assertThat(first.restartNeeded()).isTrue();
        assertThat(first.changes()).anySatisfy(x -> assertThat(x).startsWith("archive_mode: off -> on"))
            .anySatisfy(x -> assertThat(x).startsWith("archive_command:"));
      }
      pg.stop();
      pg.start();
      PgBackRest backups;
      try (Connection c = connect(port)) {
        PgBackRest.Setup again = PgBackRest.setup(c, target, repo, "main", 2);
        assertThat(again.checked()).isTrue();
        assertThat(again.changes()).isEmpty();
        backups = again.backups();
      }
      assertThat(Files.readString(backups.config())).doesNotContain(PASSWORD);

      try (Connection c = connect(port); Statement st = c.createStatement()) {
        st.execute("CREATE TABLE load (id bigserial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())");
        st.execute("CREATE TABLE marks (v text PRIMARY KEY)");
      }
      AtomicBoolean stop = new AtomicBoolean();
      Thread writer = new Thread(() -> {
        try (Connection c = connect(port); Statement st = c.createStatement()) {
          while (!stop.get()) {
            st.execute("INSERT INTO load (at) SELECT clock_timestamp() FROM generate_series(1, 100)");
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      writer.start();
      PgBackRest.Backup full;
      try {
        full = backups.backup(target, "full");
      } finally {
        stop.set(true);
        writer.join();
      }
      assertThat(full.type()).isEqualTo("full");

      Instant between;
      try (Connection c = connect(port); Statement st = c.createStatement()) {
        st.execute("INSERT INTO marks VALUES ('before')");
        Thread.sleep(1500);
        between = Instant.now();
        Thread.sleep(1500);
        st.execute("INSERT INTO marks VALUES ('after')");
        st.execute("SELECT pg_switch_wal()");
        long archived = Probe.count(c, "SELECT archived_count FROM pg_stat_archiver");
        st.execute("SELECT pg_switch_wal()");
        Probe.waitUntil(() -> {
          try {
            return Probe.count(c, "SELECT archived_count FROM pg_stat_archiver") > archived;
          } catch (Exception e) {
            return false;
          }
        });
      }
      PgBackRest.Backup incr = backups.backup(target, "incr");
      assertThat(incr.type()).isEqualTo("incr");
      assertThat(backups.backups(target)).hasSize(2);

      RestoreDrill.Options options = new RestoreDrill.Options(2, scratch,
          "SELECT 1 WHERE EXISTS (SELECT FROM marks WHERE v = 'before') AND NOT EXISTS (SELECT FROM marks WHERE v = 'after')",
          Duration.ofMinutes(2));
      DrillReport toTime = new PointInTimeDrill(Clock.systemUTC()).run(backups, target, between, options);
      assertThat(toTime.passed()).as(toTime.checks().toString()).isTrue();
      assertThat(toTime.checks()).extracting(DrillReport.Check::name).containsExactly("recovery", "amcheck", "smoke query");
      assertThat(toTime.rto()).isPositive();
      // the newest commit present is 'before', 1.5 s before the target
      assertThat(toTime.rpo()).isBetween(Duration.ofMillis(1000), Duration.ofSeconds(10));

      System.out.println("point-in-time drill: RTO " + toTime.rto() + ", RPO " + toTime.rpo() + ", " + toTime.checks());
      assertThat(BackupRepository.at(repo).drills("postgres").latest()).hasValueSatisfying(d -> assertThat(d.passed()).isTrue());
      DrillReport latest = new PointInTimeDrill(Clock.systemUTC()).run(backups, target, null,
          new RestoreDrill.Options(2, scratch, "SELECT v FROM marks WHERE v = 'after'", Duration.ofMinutes(2)));
      assertThat(latest.passed()).as(latest.checks().toString()).isTrue();

      assertThatThrownBy(() -> new PointInTimeDrill(Clock.systemUTC()).run(backups, target, Instant.parse("2020-01-01T00:00:00Z"),
          options)).isInstanceOf(BackupException.class).hasMessageContaining("before the end of the first backup");
      try (Stream<Path> left = Files.list(scratch)) {
        assertThat(left).as("scratch servers are removed").isEmpty();
      }
      // pgbackrest verify: clean, then one byte of the full backup's largest file flipped
      PgBackRest.Verification clean = backups.verify();
      assertThat(clean.ok()).as(clean.report()).isTrue();
      assertThat(clean.report()).doesNotContain("unable to open log file");
      Path victim;
      try (Stream<Path> files = Files.walk(repo.resolve("pgbackrest/backup/main/" + full.label()))) {
        victim = files.filter(Files::isRegularFile).filter(p -> p.toString().contains("pg_data"))
            .max((x, y) -> Long.compare(x.toFile().length(), y.toFile().length())).orElseThrow();
      }
      byte[] bytes = Files.readAllBytes(victim);
      bytes[bytes.length / 2] ^= 0x55;
      Files.write(victim, bytes);
      PgBackRest.Verification corrupted = backups.verify();
      assertThat(corrupted.ok()).isFalse();
      assertThat(corrupted.report()).contains("checksum invalid: 1").contains(full.label());
      // a drill to a time the damaged full backup serves fails at the restore with pgBackRest's reason, and is recorded
      DrillReport broken = new PointInTimeDrill(Clock.systemUTC()).run(backups, target, between, options);
      System.out.println("drill of the damaged backup: " + broken.checks());
      assertThat(broken.passed()).isFalse();
      assertThat(broken.checks()).singleElement().satisfies(c -> {
        assertThat(c.name()).isEqualTo("restore");
        assertThat(c.detail()).startsWith("pgbackrest restore failed").doesNotContain("\n").doesNotContain(PASSWORD);
      });
      assertThat(broken.rto()).isNull();
      assertThat(BackupRepository.at(repo).drills("postgres").latest()).hasValueSatisfying(d -> assertThat(d.passed()).isFalse());
      // the source kept running and archiving throughout, untouched by the drills
      try (Connection c = connect(port)) {
        assertThat(Probe.text(c, "SELECT count(*) FROM marks")).isEqualTo("2");
      }
    } finally {
      pg.stopImmediately();
      BackupRepository.deleteTree(root);
    }
  }

  @Test
  void setupRefusesWhatItCannotServe() throws Exception {
    DatabaseTarget remote = DatabaseTarget.parse("postgres://u:p@db.example.com:5432/app", Environment.system());
    assertThatThrownBy(() -> PgBackRest.setup(null, remote, Path.of("/tmp/x"), "Bad Name", 2))
        .isInstanceOf(BackupException.class).hasMessageContaining("not a stanza name");
    assertThatThrownBy(() -> PgBackRest.setup(null, remote, Path.of("/tmp/x'; DROP"), "main", 2))
        .isInstanceOf(BackupException.class).hasMessageContaining("letters, digits");
    assertThatThrownBy(() -> PgBackRest.setup(null, remote, Path.of("/tmp/x"), "main", 2))
        .isInstanceOf(BackupException.class).hasMessageContaining("not local");
    assertThatThrownBy(() -> PgBackRest.at(Path.of("/tmp/no-such-repo"), "main")).isInstanceOf(BackupException.class)
        .hasMessageContaining("run pgopt backup setup");
  }

  private static Connection connect(int port) throws Exception {
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", USER, PASSWORD);
  }
}
