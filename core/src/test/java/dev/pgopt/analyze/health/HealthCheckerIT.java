package dev.pgopt.analyze.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.local.LocalPgBouncer;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every check against a real cluster, prepared healthy and broken, compared with the catalogs read directly. */
@ExtendWith(PostgresExtension.class)
class HealthCheckerIT {
  private static final ExecutorService BACKGROUND = Executors.newCachedThreadPool();
  private final Thresholds defaults = Thresholds.defaults(HealthChecker.standardThresholds());

  @AfterAll
  static void stopBackground() {
    BACKGROUND.shutdownNow();
  }

  static DatabaseTarget target(String url) throws Exception {
    return DatabaseTarget.parse(url, Environment.of(Map.of(), Path.of("/nonexistent"), "nobody"));
  }

  static HealthReport check(String url, Thresholds t) throws Exception {
    try (Session s = Session.open(target(url), SessionOptions.defaults())) {
      return new HealthChecker(HealthChecker.standardChecks(), Clock.systemUTC()).run(s, t);
    }
  }

  @Test
  void healthyDatabaseMatchesTheCatalog(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text)",
        "INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 1000) g", "ANALYZE items");
    HealthReport r = check(db.url(), defaults);
    assertThat(r.checks()).extracting(CheckResult::status).doesNotContain(Status.CRITICAL, Status.UNKNOWN);
    for (String name : List.of("idle_in_transaction", "long_running_queries", "blocked_queries", "dead_tuples", "sequences",
        "invalid_indexes", "extensions", "settings", "replication", "xid_wraparound")) {
      assertThat(r.check(name).status()).as(name + ": " + r.check(name).message()).isEqualTo(Status.OK);
    }
    try (Connection c = db.connect()) {
      assertThat(((Number) r.check("database_size").value()).doubleValue())
          .isCloseTo(Probe.number(c, "SELECT pg_database_size(current_database())"), within(0.05 * Probe.number(c, "SELECT pg_database_size(current_database())")));
      assertThat(((Number) r.check("xid_wraparound").value()).doubleValue())
          .isCloseTo(Probe.number(c, "SELECT max(age(datfrozenxid)) FROM pg_database"), within(50.0));
      assertThat(r.check("connections").details().get("max_connections")).isEqualTo((int) Probe.number(c, "SHOW max_connections"));
    }
    assertThat(r.server()).containsEntry("in_recovery", false).containsKey("version");
    assertThat(r.notes()).isEmpty();
    assertThat(r.check("extensions").message()).contains("pg_stat_statements 1.", "vector 0.8", "hypopg 1.3");
  }

  @Test
  void idleTransactionIsReportedWithItsPid(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    try (Connection idle = db.connect()) {
      idle.setAutoCommit(false);
      int pid = (int) Probe.number(idle, "SELECT pg_backend_pid()");
      Thread.sleep(50);
      HealthReport r = check(db.url(), defaults.with("idle_in_transaction.warning", "10ms"));
      CheckResult c = r.check("idle_in_transaction");
      assertThat(c.status()).isEqualTo(Status.WARNING);
      assertThat(c.message()).contains("pid " + pid);
      assertThat(c.fix()).contains("pg_terminate_backend(" + pid + ")");
      assertThat(r.status()).isEqualTo("warning");
    } finally {
      db.drop();
    }
  }

  @Test
  void longRunningQueryIsReportedWithDurationAndText(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    try (Connection slow = db.connect(); Connection probe = db.connect()) {
      int pid = (int) Probe.number(slow, "SELECT pg_backend_pid()");
      Future<?> running = BACKGROUND.submit(() -> slow.createStatement().execute("SELECT pg_sleep(60) /* slow report */"));
      Probe.waitUntil(() -> Probe.exists(probe, "SELECT 1 FROM pg_stat_activity WHERE pid = " + pid + " AND state = 'active' AND now() - query_start > interval '1100 ms'"));
      CheckResult c = check(db.url(), defaults.with("long_running_queries.warning", "1s")).check("long_running_queries");
      assertThat(c.status()).isEqualTo(Status.WARNING);
      assertThat(c.message()).contains("pid " + pid).contains("pg_sleep(60)");
      assertThat(((Number) c.value()).longValue()).isGreaterThanOrEqualTo(1);
      probe.createStatement().execute("SELECT pg_cancel_backend(" + pid + ")");
      assertThatThrownBy(running::get).hasMessageContaining("canceling statement");
    } finally {
      db.drop();
    }
  }

  @Test
  void blockedQueriesShowTheChainToTheRootBlocker(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    db.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int)", "INSERT INTO accounts VALUES (1, 100)");
    try (Connection holder = db.connect(); Connection second = db.connect(); Connection third = db.connect();
         Connection probe = db.connect()) {
      holder.setAutoCommit(false);
      holder.createStatement().execute("UPDATE accounts SET balance = balance - 1 WHERE id = 1");
      int root = (int) Probe.number(holder, "SELECT pg_backend_pid()");
      int secondPid = (int) Probe.number(second, "SELECT pg_backend_pid()");
      int thirdPid = (int) Probe.number(third, "SELECT pg_backend_pid()");
      Future<?> f2 = BACKGROUND.submit(() -> second.createStatement().execute("UPDATE accounts SET balance = 0 WHERE id = 1"));
      Probe.waitUntil(() -> Probe.exists(probe, "SELECT 1 FROM pg_stat_activity WHERE pid = " + secondPid + " AND wait_event_type = 'Lock'"));
      Future<?> f3 = BACKGROUND.submit(() -> third.createStatement().execute("UPDATE accounts SET balance = 5 WHERE id = 1"));
      Probe.waitUntil(() -> Probe.exists(probe, "SELECT 1 FROM pg_stat_activity WHERE pid = " + thirdPid + " AND wait_event_type = 'Lock'"));

      CheckResult c = check(db.url(), defaults.with("blocked_queries.warning", "1ms")).check("blocked_queries");
      assertThat(c.status()).isEqualTo(Status.WARNING);
      assertThat(c.details().get("count")).isEqualTo(2);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> blocked = (List<Map<String, Object>>) c.details().get("blocked");
      Map<String, Object> thirdRow = blocked.stream().filter(m -> m.get("pid").equals(thirdPid)).findFirst().orElseThrow();
      @SuppressWarnings("unchecked")
      List<Integer> chain = (List<Integer>) thirdRow.get("chain");
      assertThat(chain.get(0)).isEqualTo(thirdPid);
      assertThat(chain.get(chain.size() - 1)).isEqualTo(root);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> roots = (List<Map<String, Object>>) c.details().get("root_blockers");
      assertThat(roots).singleElement().satisfies(m -> {
        assertThat(m.get("pid")).isEqualTo(root);
        assertThat(m.get("state")).isEqualTo("idle in transaction");
      });
      // the same pids the server reports
      assertThat(Probe.number(probe, "SELECT count(*) FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0")).isEqualTo(2);
      holder.rollback();
      f2.get();
      f3.get();
    } finally {
      db.drop();
    }
  }

  @Test
  void sequenceNearTheEndOfItsIntegerColumn(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    try {
      db.execute("CREATE SEQUENCE orders_id_seq AS bigint",
          "CREATE TABLE orders (id integer NOT NULL DEFAULT nextval('orders_id_seq'), note text)",
          "ALTER SEQUENCE orders_id_seq OWNED BY orders.id",
          "SELECT setval('orders_id_seq', 2000000000)");
      CheckResult c = check(db.url(), defaults).check("sequences");
      assertThat(c.status()).isEqualTo(Status.CRITICAL);
      assertThat((double) c.value()).isCloseTo(100.0 * 2_000_000_000 / Integer.MAX_VALUE, within(0.01));
      assertThat(c.message()).contains("public.orders_id_seq").contains("integer public.orders.id");
      assertThat(c.fix()).contains("bigint");
    } finally {
      db.drop();
    }
  }

  @Test
  void invalidIndexLeftByAFailedConcurrentBuild(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    try (Connection c = db.connect()) {
      db.execute("CREATE TABLE emails (address text)", "INSERT INTO emails VALUES ('a@example.com'), ('a@example.com')");
      assertThatThrownBy(() -> c.createStatement().execute("CREATE UNIQUE INDEX CONCURRENTLY emails_address ON emails (address)"))
          .isInstanceOf(SQLException.class);
      CheckResult r = check(db.url(), defaults).check("invalid_indexes");
      assertThat(r.status()).isEqualTo(Status.WARNING);
      assertThat(r.value()).isEqualTo((int) Probe.number(c, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"));
      assertThat(r.message()).contains("public.emails_address on emails");
      assertThat(r.fix()).contains("REINDEX INDEX CONCURRENTLY public.emails_address");
    } finally {
      db.drop();
    }
  }

  @Test
  void deadTuplesInATableAutovacuumSkips(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    try (Connection c = db.connect()) {
      db.execute("CREATE TABLE churn (id int, v int) WITH (autovacuum_enabled = false)",
          "INSERT INTO churn SELECT g, 0 FROM generate_series(1, 5000) g", "UPDATE churn SET v = 1");
      Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'churn' AND n_dead_tup >= 5000"));
      CheckResult r = check(db.url(), defaults).check("dead_tuples");
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).contains("public.churn").contains("autovacuum disabled on it");
      assertThat((double) r.value()).isCloseTo(50.0, within(1.0));
    } finally {
      db.drop();
    }
  }

  @Test
  void laggingReplicaAndInactiveSlot(TestCluster cluster, TestDatabase db) throws Exception {
    db.execute("CREATE TABLE wal_maker (id int, payload text)");
    try (TestCluster replica = cluster.startReplica(); Connection primary = db.connect()) {
      Probe.waitUntil(() -> Probe.exists(primary, "SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'"));
      replica.execute("postgres", "SELECT pg_wal_replay_pause()");
      db.execute("INSERT INTO wal_maker SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g");
      Probe.waitUntil(() -> Probe.exists(primary, "SELECT 1 FROM pg_stat_replication WHERE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) > 2 * 1024 * 1024"));

      // other tests write WAL meanwhile (the cluster is shared): the lag the check saw lies between two direct readings
      String lag = "SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)) FROM pg_stat_replication";
      double before = Probe.number(primary, lag);
      CheckResult c = check(db.url(), defaults.with("replication.lag_bytes_warning", "1MB")).check("replication");
      double after = Probe.number(primary, lag);
      assertThat(c.status()).isEqualTo(Status.WARNING);
      assertThat(c.message()).contains("standby").contains("behind");
      assertThat(((Number) c.value()).doubleValue()).isBetween(before, after);

      HealthReport onReplica = check(replica.url(db.name()), defaults);
      assertThat(onReplica.server()).containsEntry("in_recovery", true);
      assertThat(onReplica.check("server").message()).contains("standby");
      assertThat(onReplica.check("replication").details()).containsKey("recovery");
      replica.execute("postgres", "SELECT pg_wal_replay_resume()");

      primary.createStatement().execute("SELECT pg_create_physical_replication_slot('stale_consumer', true)");
      try {
        CheckResult slots = check(db.url(), defaults).check("replication");
        assertThat(slots.status()).isEqualTo(Status.WARNING);
        assertThat(slots.message()).contains("inactive slot stale_consumer");
      } finally {
        primary.createStatement().execute("SELECT pg_drop_replication_slot('stale_consumer')");
      }
    }
  }

  @Test
  void aRoleWithOnlyPgMonitorSeesEverythingButNamesWhatItCannotRead(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    try {
      db.execute("CREATE SEQUENCE app_seq", "SELECT nextval('app_seq')");
      cluster.execute("postgres", "DROP ROLE IF EXISTS watcher", "DROP ROLE IF EXISTS nobody_special",
          "CREATE ROLE watcher LOGIN PASSWORD 'watcher-pw' IN ROLE pg_monitor",
          "CREATE ROLE nobody_special LOGIN PASSWORD 'nobody-pw'");
      String base = "postgres://%s@127.0.0.1:" + cluster.port() + "/" + db.name();
      HealthReport r = check(base.formatted("watcher:watcher-pw"), defaults);
      assertThat(r.checks()).extracting(CheckResult::status).doesNotContain(Status.UNKNOWN);
      assertThat(r.notes()).isEmpty();
      assertThat(r.check("sequences").message()).contains("1 sequences not readable by this role");
      assertThat(r.check("sequences").fix()).contains("GRANT SELECT ON ALL SEQUENCES");

      HealthReport plain = check(base.formatted("nobody_special:nobody-pw"), defaults);
      assertThat(plain.notes()).singleElement().asString().contains("GRANT pg_monitor TO nobody_special");
    } finally {
      db.drop();
      cluster.execute("postgres", "DROP ROLE IF EXISTS watcher", "DROP ROLE IF EXISTS nobody_special");
    }
  }

  @Test
  void statementTimeoutEndsTheRunWithOneLine(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    try (Connection locker = db.connect()) {
      db.execute("CREATE TABLE busy (id int)");
      locker.setAutoCommit(false);
      locker.createStatement().execute("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE");
      SessionOptions fast = SessionOptions.defaults().withStatementTimeout(Duration.ofMillis(300));
      try (Session s = Session.open(target(db.url()), fast)) {
        assertThatThrownBy(() -> new HealthChecker(HealthChecker.standardChecks(), Clock.systemUTC()).run(s, defaults))
            .isInstanceOf(DatabaseFailure.class)
            .satisfies(e -> assertThat(((DatabaseFailure) e).kind()).isEqualTo(DatabaseFailure.Kind.STATEMENT_TIMEOUT))
            .hasMessageContaining("statement timeout of 300 ms")
            .hasMessageContaining("during check database_size")
            .message().doesNotContain("\n");
      }
      locker.rollback();
    } finally {
      db.drop();
    }
  }

  @Test
  void aDatabaseWithoutTheOptionalExtensionsIsStillChecked(TestCluster cluster) throws Exception {
    cluster.execute("postgres", "DROP DATABASE IF EXISTS bare", "CREATE DATABASE bare TEMPLATE template0");
    try {
      HealthReport r = check(cluster.url("bare"), defaults);
      assertThat(r.checks()).extracting(CheckResult::status).doesNotContain(Status.UNKNOWN, Status.CRITICAL);
      CheckResult ext = r.check("extensions");
      assertThat(ext.status()).isEqualTo(Status.OK);
      assertThat(ext.message()).contains("pg_stat_statements not created", "vector not created", "hypopg not created");
      assertThat(ext.fix()).contains("CREATE EXTENSION pg_stat_statements");
    } finally {
      cluster.execute("postgres", "DROP DATABASE IF EXISTS bare WITH (FORCE)");
    }
  }

  @Test
  void worksThroughPgBouncerInTransactionMode(TestCluster cluster, TestDatabase db) throws Exception {
    try (LocalPgBouncer bouncer = cluster.startPgBouncer("transaction")) {
      String url = "postgres://" + cluster.superuser() + ":" + cluster.password() + "@127.0.0.1:" + bouncer.port() + "/" + db.name();
      HealthReport r = check(url, defaults);
      assertThat(r.checks()).extracting(CheckResult::status).doesNotContain(Status.UNKNOWN);
      assertThat(r.check("server").status()).isEqualTo(Status.OK);
    }
  }
}
