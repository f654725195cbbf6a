package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.backup.BackupRecord;
import dev.pgopt.backup.BackupRepository;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitor takes backups on its cron schedule and runs restore drills in the background: a scheduled backup lands
 * in the repository, a drill started through the API passes and shows on the backups endpoint, a drill of a damaged
 * backup fails, is recorded as failed and is sent to the alert channels at once.
 */
@ExtendWith(PostgresExtension.class)
class BackupScheduleTest {
  @Test
  void scheduledBackupsAndDrillsRunRecordAndReportFailures(TestCluster cluster, TestDatabase db, @TempDir Path repoDir)
      throws Exception {
    db.execute("CREATE TABLE IF NOT EXISTS kept (id int PRIMARY KEY)",
        "INSERT INTO kept SELECT generate_series(1, 5000) ON CONFLICT DO NOTHING");
    TestDatabase store = cluster.createDatabase();
    // the clock runs 3 s before a minute boundary, so the every-minute schedule fires without waiting for a real one
    long toBoundary = 60_000 - System.currentTimeMillis() % 60_000;
    Clock clock = Clock.offset(Clock.systemUTC(), Duration.ofMillis(toBoundary - 3_000));
    try (WebhookReceiver hook = new WebhookReceiver(0)) {
      String yaml = MonitorFixture.config(cluster, db.name(), store.name(), """
          maintenance:
            backup: "* * * * *"
          alerts:
            channels:
              - {name: ops, kind: webhook, url: %s}
          """.formatted(hook.url("/hook")))
          .replace("    url: " + cluster.url(db.name()) + "\n", "    url: " + cluster.url(db.name()) + "\n"
              + "    backup:\n      repo: " + repoDir + "\n      keep_last: 2\n"
              + "      smoke_query: SELECT 1 FROM kept WHERE id = 5000\n"
              + "  - name: plain\n    url: " + cluster.url(db.name()) + "\n");
      try (MonitorFixture f = MonitorFixture.start(yaml, Map.of(), clock)) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (runs(f, "backup", "succeeded").isEmpty()) {
          assertThat(System.nanoTime()).as("a scheduled backup within 60 s").isLessThan(deadline);
          Thread.sleep(500);
        }
        JsonNode scheduled = runs(f, "backup", "succeeded").get(0);
        assertThat(scheduled.path("target").asText()).isEqualTo("app");
        assertThat(scheduled.path("scheduled_for").asText()).endsWith(":00Z");
        List<BackupRecord> taken = BackupRepository.at(repoDir).list(db.name(), new ArrayList<>());
        assertThat(taken).isNotEmpty();
        assertThat(taken.get(taken.size() - 1).tableRows()).containsEntry("public.kept", 5000L);

        // a drill through the API runs in the background: 202 now, the outcome in the recorded runs
        HttpResponse<String> started = f.post("/api/targets/app/maintenance/restore_drill", MonitorFixture.ADMIN, "{}");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        assertThat(started.body()).contains("\"status\":\"started\"");
        Probe.waitUntil(() -> !runs(f, "restore_drill", "succeeded").isEmpty());
        JsonNode page = f.json("/api/targets/app/backups");
        assertThat(page.path("configured").asBoolean()).isTrue();
        assertThat(page.path("mode").asText()).isEqualTo("logical");
        assertThat(page.path("schedules").path("backup").asText()).isEqualTo("* * * * *");
        assertThat(page.path("backups").size()).isBetween(1, 2);
        assertThat(page.path("drills").get(0).path("passed").asBoolean()).as(page.toString()).isTrue();
        assertThat(page.path("drills").get(0).path("rto_seconds").asDouble()).isPositive();
        assertThat(page.path("runs").toString()).contains("restore_drill").contains("backup");

        // a target without a backup section cannot be asked for one
        HttpResponse<String> none = f.post("/api/targets/plain/maintenance/backup", MonitorFixture.ADMIN, "{}");
        assertThat(none.statusCode()).isEqualTo(409);
        assertThat(none.body()).contains("has no backup section");
        assertThat(f.json("/api/targets/plain/backups").path("configured").asBoolean()).isFalse();

        // damage every backup: the next drill fails on its checksum, is recorded failed and reaches the channel
        for (BackupRecord b : BackupRepository.at(repoDir).list(db.name(), new ArrayList<>())) {
          Path toc = BackupRepository.at(repoDir).dumpDirectory(b).resolve("toc.dat");
          byte[] bytes = Files.readAllBytes(toc);
          bytes[bytes.length / 2] ^= 0x55;
          Files.write(toc, bytes);
        }
        assertThat(f.post("/api/targets/app/maintenance/restore_drill", MonitorFixture.ADMIN, "{}").statusCode()).isEqualTo(202);
        Probe.waitUntil(() -> !runs(f, "restore_drill", "failed").isEmpty());
        JsonNode failed = runs(f, "restore_drill", "failed").get(0);
        assertThat(failed.path("summary").asText()).contains("checksums").contains("toc.dat");
        Probe.waitUntil(() -> hook.bodies.stream().anyMatch(b -> b.contains("restore_drill failed")));
        assertThat(f.json("/api/targets/app/backups").path("drills").get(0).path("passed").asBoolean()).isFalse();
      }
      try (Connection c = cluster.connect(db.name())) {
        assertThat(Probe.count(c, "SELECT count(*) FROM kept")).as("the source is untouched").isEqualTo(5000);
      }
    } finally {
      store.drop();
    }
  }

  private static List<JsonNode> runs(MonitorFixture f, String task, String status) {
    try {
      List<JsonNode> out = new ArrayList<>();
      for (JsonNode r : f.json("/api/maintenance").path("runs")) {
        if (r.path("task").asText().equals(task) && r.path("status").asText().equals(status)) {
          out.add(r);
        }
      }
      return out;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
