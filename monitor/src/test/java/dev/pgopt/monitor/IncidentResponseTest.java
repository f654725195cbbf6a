package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runaway queries and lock chains planted on purpose; remediation acts only where the guardrails allow. */
@ExtendWith(PostgresExtension.class)
class IncidentResponseTest {
  static TestCluster cluster;
  static TestDatabase db;
  TestDatabase store;

  @BeforeAll
  static void setUp(TestCluster c, TestDatabase d) {
    cluster = c;
    db = d;
    c.execute("postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shop') THEN "
        + "CREATE ROLE shop LOGIN PASSWORD 'shop-password'; END IF; END $$");
    d.execute("CREATE TABLE stock (id int PRIMARY KEY, n int)", "INSERT INTO stock VALUES (1, 10)",
        "GRANT ALL ON stock TO shop");
  }

  @org.junit.jupiter.api.BeforeEach
  void freshStore() {
    store = cluster.createDatabase();
  }

  @org.junit.jupiter.api.AfterEach
  void dropStore() {
    store.close();
  }

  static Connection as(String role, String password, String app) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", role);
    p.setProperty("password", password);
    p.setProperty("ApplicationName", app);
    return DriverManager.getConnection(cluster.jdbcUrl(db.name()), p);
  }

  static CompletableFuture<Throwable> sleep(Connection c, int seconds) {
    return CompletableFuture.supplyAsync(() -> {
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_sleep(" + seconds + ")");
        return null;
      } catch (SQLException e) {
        return e;
      }
    });
  }

  @Test
  void cancelsARunawayQueryButNeverAnExcludedOrSuperuserSession() throws Exception {
    String yaml = MonitorFixture.config(cluster, db.name(), store.name(), """
        incidents:
          runaway_query: 2s
          cancel_runaway: true
          exclude_applications: ["batch-*"]
        """);
    try (MonitorFixture f = MonitorFixture.start(yaml);
         Connection runaway = as("shop", "shop-password", "shop-web");
         Connection batch = as("shop", "shop-password", "batch-nightly");
         Connection forged = as("shop", "shop-password", "pgopt-monitor");
         Connection admin = MonitorFixture.app(cluster, db.name(), "psql")) {
      CompletableFuture<Throwable> r = sleep(runaway, 30);
      // a name is not an identity: the monitor knows its own sessions by their pids
      CompletableFuture<Throwable> forgedRun = sleep(forged, 30);
      CompletableFuture<Throwable> b = sleep(batch, 8);
      CompletableFuture<Throwable> a = sleep(admin, 8);
      Throwable cancelled = r.get(20, TimeUnit.SECONDS);
      assertThat(cancelled).isInstanceOf(SQLException.class);
      assertThat(((SQLException) cancelled).getSQLState()).as("query_canceled").isEqualTo("57014");
      Throwable forgedCancelled = forgedRun.get(20, TimeUnit.SECONDS);
      assertThat(forgedCancelled).as("a session calling itself pgopt-monitor").isInstanceOf(SQLException.class);
      assertThat(((SQLException) forgedCancelled).getSQLState()).isEqualTo("57014");
      assertThat(b.get(20, TimeUnit.SECONDS)).as("excluded application ran to the end").isNull();
      assertThat(a.get(20, TimeUnit.SECONDS)).as("superuser session ran to the end").isNull();
      Probe.waitUntil(() -> actions(f).contains("\"outcome\":\"done\"") && actions(f).contains("application 'batch-nightly' is excluded")
          && actions(f).contains("superuser session"));
      String all = actions(f);
      assertThat(all).doesNotContain("terminate");
    }
  }

  @Test
  void terminatesAnIdleLockHolderOnlyAfterCancellingIt() throws Exception {
    String yaml = MonitorFixture.config(cluster, db.name(), store.name(), """
        incidents:
          lock_wait: 1s
          cancel_lock_blocker: true
          terminate_idle_in_transaction: true
          terminate_after: 2s
        """);
    try (MonitorFixture f = MonitorFixture.start(yaml);
         Connection holder = as("shop", "shop-password", "shop-admin");
         Connection waiter = as("shop", "shop-password", "shop-web")) {
      holder.setAutoCommit(false);
      try (Statement s = holder.createStatement()) {
        s.execute("UPDATE stock SET n = n - 1 WHERE id = 1");
      }
      CompletableFuture<Throwable> w = CompletableFuture.supplyAsync(() -> {
        try (Statement s = waiter.createStatement()) {
          s.execute("UPDATE stock SET n = n + 1 WHERE id = 1");
          return null;
        } catch (SQLException e) {
          return e;
        }
      });
      assertThat(w.get(30, TimeUnit.SECONDS)).as("the waiter got its lock once the holder was terminated").isNull();
      assertThatThrownBy(() -> holder.createStatement().execute("SELECT 1")).isInstanceOf(SQLException.class);
      Probe.waitUntil(() -> actions(f).contains("\"action\":\"terminate\""));
      JsonNode incident = lockIncident(f);
      List<String> steps = new ArrayList<>();
      incident.path("actions").forEach(a -> steps.add(a.path("action").asText() + ":" + a.path("outcome").asText()));
      assertThat(steps).containsSubsequence("cancel:done", "terminate:done");
      assertThat(java.time.Duration.between(java.time.Instant.parse(incident.path("actions").get(0).path("at").asText()),
          java.time.Instant.parse(incident.path("actions").get(1).path("at").asText())).toMillis()).isGreaterThanOrEqualTo(2000);
    }
  }

  @Test
  void dryRunAndTheActionBudgetHold() throws Exception {
    String yaml = MonitorFixture.config(cluster, db.name(), store.name(), """
        incidents:
          runaway_query: 1s
          cancel_runaway: true
          dry_run: true
          max_actions: 2
          action_window: 10m
        """);
    List<Connection> sessions = new ArrayList<>();
    List<CompletableFuture<Throwable>> sleeps = new ArrayList<>();
    try (MonitorFixture f = MonitorFixture.start(yaml)) {
      for (int i = 0; i < 4; i++) {
        Connection c = as("shop", "shop-password", "shop-" + i);
        sessions.add(c);
        sleeps.add(sleep(c, 6));
      }
      Probe.waitUntil(() -> count(actions(f), "\"outcome\":\"dry_run\"") == 2 && actions(f).contains("at most 2 actions"));
      for (CompletableFuture<Throwable> s : sleeps) {
        assertThat(s.get(20, TimeUnit.SECONDS)).as("dry run: nothing was cancelled").isNull();
      }
      assertThat(count(actions(f), "\"outcome\":\"dry_run\"")).isEqualTo(2);
    } finally {
      for (Connection c : sessions) {
        c.close();
      }
    }
  }

  private static String actions(MonitorFixture f) {
    try {
      return f.json("/api/incidents").path("recent").toString();
    } catch (Exception e) {
      return "";
    }
  }

  private static JsonNode lockIncident(MonitorFixture f) throws Exception {
    for (JsonNode i : f.json("/api/incidents").path("recent")) {
      if (i.path("kind").asText().equals("lock_chain") && i.path("actions").size() >= 2) {
        return i;
      }
    }
    throw new AssertionError("no lock_chain incident with two actions");
  }

  private static long count(String s, String part) {
    return (s.length() - s.replace(part, "").length()) / part.length();
  }
}
