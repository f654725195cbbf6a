package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class MaintenanceTest {
  static TestCluster cluster;
  static TestDatabase db;
  static TestDatabase store;
  static MonitorFixture f;

  @BeforeAll
  static void start(TestCluster c, TestDatabase d) throws Exception {
    cluster = c;
    db = d;
    store = c.createDatabase();
    c.execute("postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shop') THEN "
        + "CREATE ROLE shop LOGIN PASSWORD 'shop-password'; END IF; END $$");
    d.execute("CREATE TABLE sales (id int, region text, amount int) WITH (autovacuum_enabled = off)",
        "INSERT INTO sales SELECT g, 'r' || (g % 5), g FROM generate_series(1, 1000) g",
        "CREATE MATERIALIZED VIEW sales_by_region AS SELECT region, sum(amount) AS total, count(*) AS n FROM sales GROUP BY region",
        "CREATE UNIQUE INDEX ON sales_by_region (region)",
        "CREATE MATERIALIZED VIEW no_unique_index AS SELECT 1 AS one",
        "ANALYZE sales");
    f = MonitorFixture.start(MonitorFixture.config(c, d.name(), store.name(), """
        maintenance:
          views: [public.sales_by_region, public.no_unique_index]
        incidents:
          runaway_query: 1s
        """));
  }

  @AfterAll
  static void stop() {
    f.close();
    store.close();
  }

  @Test
  void refreshesListedViewsConcurrentlyAndReportsOnesThatCannotBe() throws Exception {
    db.execute("INSERT INTO sales SELECT g, 'r9', 1 FROM generate_series(1, 10) g");
    HttpResponse<String> r = f.post("/api/targets/app/maintenance/refresh_views", MonitorFixture.ADMIN, "{}");
    JsonNode run = MonitorFixture.JSON.readTree(r.body());
    assertThat(run.path("status").asText()).as(r.body()).isEqualTo("failed");
    assertThat(run.path("summary").path("views").get(0).path("status").asText()).isEqualTo("refreshed");
    assertThat(run.path("summary").path("views").get(1).path("error").asText()).contains("concurrently");
    try (Connection c = cluster.connect(db.name())) {
      assertThat(Probe.count(c, "SELECT n FROM sales_by_region WHERE region = 'r9'")).isEqualTo(10);
    }
  }

  @Test
  void analyzesStaleTables() throws Exception {
    db.execute("INSERT INTO sales SELECT g, 'r1', 1 FROM generate_series(1, 5000) g");
    HttpResponse<String> r = f.post("/api/targets/app/maintenance/analyze_stale", MonitorFixture.ADMIN, "{}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(MonitorFixture.JSON.readTree(r.body()).path("summary").path("analyzed").toString()).contains("public.sales");
    try (Connection c = cluster.connect(db.name())) {
      assertThat(Probe.count(c, "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'sales'")).isZero();
    }
  }

  @Test
  void emergencyCleanupIsADryRunUnlessAskedAndKeepsToTheGuardrails() throws Exception {
    Properties p = new Properties();
    p.setProperty("user", "shop");
    p.setProperty("password", "shop-password");
    p.setProperty("ApplicationName", "report");
    try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(db.name()), p)) {
      CompletableFuture<SQLException> sleep = CompletableFuture.supplyAsync(() -> {
        try (Statement s = c.createStatement()) {
          s.execute("SELECT pg_sleep(20)");
          return null;
        } catch (SQLException e) {
          return e;
        }
      });
      try (Connection watch = cluster.connect(db.name())) {
        Probe.waitUntil(() -> Probe.exists(watch, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'report' "
            + "AND state = 'active' AND query LIKE 'SELECT pg_sleep%' AND clock_timestamp() - query_start > interval '1.2 s'"));
      }
      HttpResponse<String> dry = f.post("/api/targets/app/maintenance/emergency_cleanup", MonitorFixture.ADMIN, "{}");
      assertThat(dry.body()).contains("\"dry_run\":true").contains("would cancel");
      assertThat(sleep.isDone()).as("dry run cancelled nothing").isFalse();
      HttpResponse<String> real = f.post("/api/targets/app/maintenance/emergency_cleanup", MonitorFixture.ADMIN, "{\"dry_run\": false}");
      assertThat(real.body()).contains("cancelled");
      assertThat((Object) sleep.get(10, TimeUnit.SECONDS)).isNotNull();
      assertThat(sleep.get().getSQLState()).isEqualTo("57014");
    }
  }

  @Test
  void anotherInstanceHoldingTheJobMeansSkipped() throws Exception {
    try (Connection lock = cluster.connect(store.name()); Statement s = lock.createStatement()) {
      s.execute("SELECT pg_advisory_lock(hashtext('pgopt.maintenance'), hashtext('weekly_optimization:app'))");
      HttpResponse<String> busy = f.post("/api/targets/app/maintenance/weekly_optimization", MonitorFixture.ADMIN, "{}");
      assertThat(busy.statusCode()).isEqualTo(409);
      assertThat(busy.body()).contains("another pgopt instance");
      s.execute("SELECT pg_advisory_unlock_all()");
    }
    HttpResponse<String> ok = f.post("/api/targets/app/maintenance/weekly_optimization", MonitorFixture.ADMIN, "{}");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(f.json("/api/targets/app/findings").path("findings").isArray()).isTrue();
  }

  @Test
  void aCronJobRunsOnceAcrossTwoInstances() throws Exception {
    // both instances run on a clock 3 s before a minute boundary: the cron minute comes without waiting for a real one
    long toBoundary = 60_000 - System.currentTimeMillis() % 60_000;
    java.time.Clock clock = java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofMillis(toBoundary - 3_000));
    String cron = MonitorFixture.config(cluster, db.name(), store.name(), """
        maintenance:
          daily_health_check: "* * * * *"
        """);
    try (MonitorFixture first = MonitorFixture.start(cron, java.util.Map.of(), clock);
         MonitorFixture second = MonitorFixture.start(cron, java.util.Map.of(), clock)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); // the boundary plus a tick of each scheduler
      while (scheduledRuns() < 1) {
        assertThat(System.nanoTime()).as("a scheduled run within 30 s").isLessThan(deadline);
        Thread.sleep(500);
      }
      Thread.sleep(6000);
      try (Connection c = cluster.connect(store.name())) {
        assertThat(Probe.count(c, "SELECT count(*) FROM (SELECT scheduled_for FROM pgopt.maintenance_runs "
            + "WHERE task = 'daily_health_check' AND scheduled_for = date_trunc('minute', scheduled_for) "
            + "GROUP BY scheduled_for HAVING count(*) > 1) dup")).isZero();
      }
      assertThat(f.json("/api/maintenance").path("runs").toString()).contains("daily_health_check");
    }
  }

  private static long scheduledRuns() {
    try (Connection c = cluster.connect(store.name())) {
      return Probe.count(c, "SELECT count(*) FROM pgopt.maintenance_runs WHERE task = 'daily_health_check' "
          + "AND scheduled_for = date_trunc('minute', scheduled_for) AND status = 'succeeded'");
    } catch (SQLException e) {
      return 0;
    }
  }
}
