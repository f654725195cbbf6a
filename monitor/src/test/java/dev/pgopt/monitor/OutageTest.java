package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.local.ServiceUser;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Outages on dedicated clusters (the shared test cluster must never go down): a target stops in the middle of a run,
 * the history store stops, and the monitor itself restarts.
 */
@ExtendWith(PostgresExtension.class)
class OutageTest {
  static TestCluster dedicated;

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createTempDirectory("pgopt-outage-");
    ServiceUser.createPrivateDirectory(dir);
    dedicated = TestCluster.startPrimary(dir, "outage-pw");
  }

  @AfterAll
  static void stop() {
    if (dedicated != null) {
      dedicated.close();
    }
  }

  @Test
  void aTargetGoingDownIsReportedAndTheServerKeepsServing(TestCluster shared, TestDatabase healthy) throws Exception {
    TestDatabase store = shared.createDatabase();
    String yaml = MonitorFixture.config(dedicated, "postgres", "unused", """
        alerts:
          rules:
            target_down: {for: 2s}
        """).replace(dedicated.url("unused"), shared.url(store.name()))
        .replace("collect:\n", "  - name: healthy\n    url: " + shared.url(healthy.name()) + "\ncollect:\n");
    try (MonitorFixture f = MonitorFixture.start(yaml)) {
      Probe.waitUntil(() -> target(f).path("up").asBoolean());
      dedicated.postgres().stopImmediately();
      try {
        Probe.waitUntil(() -> !target(f).path("up").asBoolean());
        assertThat(target(f).path("last_error").asText()).isNotBlank().doesNotContain("outage-pw");
        Probe.waitUntil(() -> alerts(f).contains("target_down"));
        Probe.waitUntil(() -> incidents(f).contains("target_unreachable"));
        assertThat(f.get("/api/live", null).statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = f.get("/metrics", MonitorFixture.READ);
        assertThat(metrics.body()).contains("pgopt_target_up{target=\"app\"} 0.0");
        HttpResponse<String> health = f.get("/api/targets/app/health", MonitorFixture.READ);
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(health.body()).doesNotContain("outage-pw");
        String before = other(f).path("last_success").asText();
        Probe.waitUntil(() -> !other(f).path("last_success").asText().equals(before));
        assertThat(other(f).path("up").asBoolean()).as("the other target is still collected").isTrue();
        assertThat(f.get("/api/targets/healthy/health", MonitorFixture.READ).statusCode()).isEqualTo(200);
      } finally {
        dedicated.postgres().start();
      }
      Probe.waitUntil(() -> target(f).path("up").asBoolean());
      Probe.waitUntil(() -> !alerts(f).contains("target_down"));
      Probe.waitUntil(() -> {
        try {
          JsonNode open = f.json("/api/incidents").path("open");
          return !open.toString().contains("target_unreachable");
        } catch (Exception e) {
          return false;
        }
      });
    } finally {
      store.close();
    }
  }

  @Test
  void aStoreOutageBuffersHistoryAndCollectionGoesOn(TestCluster shared, TestDatabase target) throws Exception {
    dedicated.execute("postgres", "CREATE DATABASE history");
    String yaml = MonitorFixture.config(shared, target.name(), "unused", "")
        .replace(shared.url("unused"), dedicated.url("history"));
    try (MonitorFixture f = MonitorFixture.start(yaml)) {
      Probe.waitUntil(() -> samples() > 0);
      Instant outageStart = Instant.now();
      dedicated.postgres().stopImmediately();
      try {
        Probe.waitUntil(() -> metric(f, "pgopt_store_up ") == 0.0);
        String before = target(f).path("last_success").asText();
        Probe.waitUntil(() -> !target(f).path("last_success").asText().equals(before));
        assertThat(target(f).path("up").asBoolean()).as("collection goes on").isTrue();
        Probe.waitUntil(() -> metric(f, "pgopt_store_buffered_rows ") > 0);
        HttpResponse<String> history = f.get("/api/targets/app/history?metric=connections", MonitorFixture.READ);
        assertThat(history.statusCode()).isEqualTo(503);
        assertThat(history.body()).contains("history store");
        Thread.sleep(2000);
      } finally {
        dedicated.postgres().start();
      }
      Probe.waitUntil(() -> metric(f, "pgopt_store_up ") == 1.0 && metric(f, "pgopt_store_buffered_rows ") == 0.0);
      try (Connection c = dedicated.connect("history")) {
        long during = Probe.count(c, "SELECT count(*) FROM pgopt.samples WHERE metric = 'connections' AND ts > '"
            + outageStart + "'::timestamptz AND ts < '" + outageStart.plusSeconds(2) + "'::timestamptz");
        assertThat(during).as("samples taken while the store was down were written afterwards").isGreaterThan(0);
      }
    }
  }

  @Test
  void aRestartResumesStatementDeltasFromTheStore(TestCluster shared, TestDatabase target) throws Exception {
    TestDatabase store = shared.createDatabase();
    target.execute("CREATE TABLE IF NOT EXISTS r (id int)");
    String yaml = MonitorFixture.config(shared, target.name(), store.name(), "");
    try {
      try (MonitorFixture f = MonitorFixture.start(yaml)) {
        Probe.waitUntil(() -> stateSaved(shared, store));
      }
      try (Connection c = MonitorFixture.app(shared, target.name(), "app"); Statement s = c.createStatement()) {
        for (int i = 0; i < 20; i++) {
          s.execute("SELECT count(*) FROM r WHERE id = " + i);
        }
      }
      Instant restart = Instant.now();
      try (MonitorFixture f = MonitorFixture.start(yaml)) {
        // without the stored baseline the first window would only close one statements_interval (5 s) later
        Probe.waitUntil(() -> {
          try (Connection c = shared.connect(store.name())) {
            return Probe.count(c, "SELECT count(*) FROM pgopt.statement_stats s JOIN pgopt.statement_texts t USING (target, queryid) "
                + "WHERE s.ts > '" + restart + "'::timestamptz AND t.query LIKE '%FROM r WHERE%'") > 0;
          } catch (Exception e) {
            return false;
          }
        });
        assertThat(java.time.Duration.between(restart, Instant.now()).toMillis()).isLessThan(4500);
      }
    } finally {
      store.close();
    }
  }

  private static boolean stateSaved(TestCluster shared, TestDatabase store) {
    try (Connection c = shared.connect(store.name())) {
      return Probe.count(c, "SELECT count(*) FROM pgopt.collector_state WHERE key = 'statements_snapshot'") > 0;
    } catch (Exception e) {
      return false;
    }
  }

  private static long samples() {
    try (Connection c = dedicated.connect("history")) {
      return Probe.count(c, "SELECT count(*) FROM pgopt.samples");
    } catch (Exception e) {
      return 0;
    }
  }

  private static double metric(MonitorFixture f, String prefix) {
    try {
      for (String line : f.get("/metrics", MonitorFixture.READ).body().split("\n")) {
        if (line.startsWith(prefix)) {
          return Double.parseDouble(line.substring(prefix.length()).trim());
        }
      }
    } catch (Exception e) {
      return Double.NaN;
    }
    return Double.NaN;
  }

  private static JsonNode target(MonitorFixture f) {
    try {
      return f.json("/api/targets").get(0);
    } catch (Exception e) {
      return MonitorFixture.JSON.createObjectNode();
    }
  }

  private static JsonNode other(MonitorFixture f) {
    try {
      return f.json("/api/targets").get(1);
    } catch (Exception e) {
      return MonitorFixture.JSON.createObjectNode();
    }
  }

  private static String alerts(MonitorFixture f) {
    try {
      return f.json("/api/alerts").path("alerts").toString();
    } catch (Exception e) {
      return "";
    }
  }

  private static String incidents(MonitorFixture f) {
    try {
      return f.json("/api/incidents").path("open").toString();
    } catch (Exception e) {
      return "";
    }
  }

  @Test
  void aTargetDownAtStartGetsItsFindingsSoonAfterItComesUp(TestCluster shared) throws Exception {
    String late = "late_" + Long.toHexString(System.nanoTime());
    TestDatabase store = shared.createDatabase();
    long started = System.nanoTime();
    try (MonitorFixture f = MonitorFixture.start(MonitorFixture.config(shared, late, store.name(), ""))) {
      Probe.waitUntil(() -> {
        try {
          return !f.json("/api/targets").get(0).path("up").asBoolean() && !f.json("/api/targets").get(0).path("last_error").asText().isEmpty();
        } catch (Exception e) {
          return false;
        }
      });
      // the first findings run is due 2 s after start: let it find the target down before it comes up
      while (System.nanoTime() - started < java.util.concurrent.TimeUnit.SECONDS.toNanos(4)) {
        Thread.sleep(100);
      }
      shared.execute("postgres", "CREATE DATABASE " + late);
      // findings_interval is 1 h in the fixture: only the retry after the failed start can bring them this soon
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      while (f.get("/api/targets/app/findings", MonitorFixture.READ).statusCode() != 200
          || !f.json("/api/targets/app/findings").path("findings").isArray()) {
        assertThat(System.nanoTime()).as("findings within 60 s of the target coming up").isLessThan(deadline);
        Thread.sleep(500);
      }
    } finally {
      shared.execute("postgres", "DROP DATABASE IF EXISTS " + late + " WITH (FORCE)");
      store.close();
    }
  }
}
