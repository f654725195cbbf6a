package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.backup.BackupRecord;
import dev.pgopt.backup.BackupRepository;
import dev.pgopt.backup.LogicalBackup;
import dev.pgopt.backup.RestoreDrill;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A target's backup repository becomes series, metrics and alerts: late backups and failed drills fire, a passing drill resolves. */
@ExtendWith(PostgresExtension.class)
class BackupMonitoringTest {
  @Test
  void lateBackupsAndFailedDrillsAlertAndAPassingDrillResolves(TestCluster cluster, TestDatabase db, @TempDir Path repoDir)
      throws Exception {
    db.execute("CREATE TABLE IF NOT EXISTS kept (id int PRIMARY KEY)", "INSERT INTO kept SELECT generate_series(1, 1000)"
        + " ON CONFLICT DO NOTHING");
    TestDatabase store = cluster.createDatabase();
    try {
      BackupRepository repo = BackupRepository.create(repoDir);
      DatabaseTarget target = DatabaseTarget.parse(db.url(), Environment.system());
      LogicalBackup backups = new LogicalBackup(Clock.systemUTC());
      BackupRecord first = backups.run(target, SessionOptions.defaults(), repo, LogicalBackup.Options.defaults()).backup();
      // a drill that fails: the table of contents changed after the backup (caught by its checksum)
      Path toc = repo.dumpDirectory(first).resolve("toc.dat");
      byte[] bytes = Files.readAllBytes(toc);
      bytes[bytes.length / 2] ^= 0x55;
      Files.write(toc, bytes);
      assertThat(new RestoreDrill(Clock.systemUTC()).run(repo, db.name(), null, RestoreDrill.Options.defaults()).passed())
          .isFalse();
      Thread.sleep(2100);
      // backups are due every second here, so the one just taken is already late
      String yaml = MonitorFixture.config(cluster, db.name(), store.name(), """
          alerts:
            rules:
              backup_age: {warning: 1, critical: 2}
          """).replace("    url: " + cluster.url(db.name()) + "\n",
          "    url: " + cluster.url(db.name()) + "\n    backup:\n      repo: " + repoDir + "\n");
      try (MonitorFixture f = MonitorFixture.start(yaml, Map.of())) {
        Probe.waitUntil(() -> rules(f).containsAll(Set.of("backup_age", "drill_failed", "drill_age")));
        String metrics = f.get("/metrics", MonitorFixture.READ).body();
        assertThat(metrics).contains("pgopt_drill_passed{target=\"app\"} 0.0")
            .containsPattern("pgopt_backup_age_seconds\\{target=\"app\"} [0-9.E]+")
            .contains("pgopt_drill_last_success_timestamp_seconds{target=\"app\"} NaN");

        // a new backup and a drill that passes: the drill alerts resolve
        BackupRecord second = backups.run(target, SessionOptions.defaults(), repo, LogicalBackup.Options.defaults()).backup();
        assertThat(new RestoreDrill(Clock.systemUTC()).run(repo, db.name(), second.id(), RestoreDrill.Options.defaults())
            .passed()).isTrue();
        Probe.waitUntil(() -> {
          Set<String> firing = rules(f);
          return !firing.contains("drill_failed") && !firing.contains("drill_age");
        });
        String after = f.get("/metrics", MonitorFixture.READ).body();
        assertThat(after).contains("pgopt_drill_passed{target=\"app\"} 1.0")
            .containsPattern("pgopt_drill_rto_seconds\\{target=\"app\"} [0-9]")
            .containsPattern("pgopt_drill_last_success_timestamp_seconds\\{target=\"app\"} 1\\.[0-9]+E9");
      }
    } finally {
      store.drop();
    }
  }

  private static Set<String> rules(MonitorFixture f) {
    try {
      Set<String> out = new HashSet<>();
      for (JsonNode a : f.json("/api/alerts").path("alerts")) {
        out.add(a.path("rule").asText());
      }
      return out;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
