package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.local.FreePort;
import dev.pgopt.local.LocalPgBouncer;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgopt pooler}: the generated configuration started with Debian's PgBouncer in front of a test-kit server and
 * driven by concurrent clients; a pool too small shows waiting clients and the check fires; session features choose
 * session mode.
 */
@ExtendWith(PostgresExtension.class)
class PoolerCommandIT {
  private static final String APP_PASSWORD = "app-Pw-7431";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path home;

  @TempDir
  Path dir;

  private CliRun run(String... args) {
    return CliRun.of(Map.of(), home, args);
  }

  private static void appRole(TestDatabase db) {
    db.execute("DO $$ BEGIN CREATE ROLE app LOGIN PASSWORD '" + APP_PASSWORD + "'; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        "CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, name text)",
        "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING",
        "GRANT SELECT ON items TO app", "GRANT CONNECT ON DATABASE \"" + db.name() + "\" TO app");
  }

  private static Map<String, String> settings(Path ini) throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : Files.readAllLines(ini)) {
      int eq = line.indexOf('=');
      if (!line.startsWith(";") && eq > 0) {
        out.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
      }
    }
    return out;
  }

  private static Connection throughPooler(int port, String database) throws Exception {
    // PgBouncer 1.18 in transaction mode: no protocol-level prepared statements
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database
        + "?user=app&password=" + APP_PASSWORD + "&prepareThreshold=0&connectTimeout=10");
  }

  private String adminUrl(TestCluster cluster, int port) {
    return "postgres://" + cluster.superuser() + ":" + java.net.URLEncoder.encode(cluster.password(), java.nio.charset.StandardCharsets.UTF_8)
        + "@127.0.0.1:" + port + "/pgbouncer";
  }

  @Test
  void theGeneratedConfigurationRunsUnderConcurrentLoadAndChecksHealthy(TestCluster cluster, TestDatabase db) throws Exception {
    appRole(db);
    db.resetStatements();
    int port = FreePort.find();
    CliRun r = run("pooler", "config", "--url", db.url(), "--output", dir.toString(), "--users", "app", "--listen-port",
        Integer.toString(port), "--sample", "1s", "--format", "json");
    // the test's superuser uses the database: a warning, the files are written
    assertThat(r.exitCode()).as(r.all()).isEqualTo(ExitCode.WARNING);
    JsonNode out = JSON.readTree(r.out());
    assertThat(out.get("warnings").toString()).contains("is a superuser and uses the database");
    assertThat(out.get("roles_with_secret").asInt()).isEqualTo(2);
    assertThat(r.all()).doesNotContain(APP_PASSWORD).doesNotContain("SCRAM-SHA-256$").doesNotContain(cluster.password());
    Map<String, String> s = settings(dir.resolve("pgbouncer.ini"));
    assertThat(s).containsEntry("pool_mode", "transaction").containsEntry("listen_port", Integer.toString(port))
        .containsEntry("auth_type", "scram-sha-256");
    int pool = Integer.parseInt(s.get("default_pool_size"));
    int reserve = Integer.parseInt(s.get("reserve_pool_size"));
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("userlist.txt")))).isEqualTo("rw-------");

    try (LocalPgBouncer bouncer = LocalPgBouncer.startConfigured(dir.resolve("pgbouncer.ini"), port);
         Connection server = db.connect()) {
      int clients = 3 * (pool + reserve);
      ExecutorService pool1 = Executors.newFixedThreadPool(clients);
      AtomicInteger done = new AtomicInteger();
      AtomicInteger peakServer = new AtomicInteger();
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        futures.add(pool1.submit(() -> {
          try (Connection c = throughPooler(port, db.name()); Statement st = c.createStatement()) {
            for (int k = 0; k < 20; k++) {
              st.executeQuery("SELECT count(*), pg_sleep(0.01) FROM items").close();
              done.incrementAndGet();
            }
          }
          return null;
        }));
      }
      while (futures.stream().anyMatch(f -> !f.isDone())) {
        peakServer.accumulateAndGet((int) Probe.count(server, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app'"), Math::max);
        Thread.sleep(20);
      }
      for (Future<?> f : futures) {
        f.get();
      }
      pool1.shutdown();
      assertThat(done.get()).isEqualTo(clients * 20);
      // three times as many clients as server connections: the pool held them to its size
      assertThat(peakServer.get()).isPositive().isLessThanOrEqualTo(pool + reserve);

      CliRun check = run("pooler", "check", "--admin-url", adminUrl(cluster, port), "--url", db.url());
      assertThat(check.exitCode()).as(check.all()).isEqualTo(ExitCode.OK);
      assertThat(check.out()).startsWith("pgopt pooler check").contains("PgBouncer 1.").contains("pooler_clients_waiting")
          .contains("pooler_server_connections").contains("pooler_timeouts");
      assertThat(check.all()).doesNotContain(cluster.password());

      // SCRAM with the wrong password: one line, the password nowhere
      CliRun wrong = run("pooler", "check", "--admin-url", "postgres://" + cluster.superuser() + ":Wrong-Pw-99@127.0.0.1:" + port
          + "/pgbouncer");
      assertThat(wrong.exitCode()).isEqualTo(ExitCode.UNKNOWN);
      assertThat(wrong.err().strip()).startsWith("pgopt: ").contains("refused the login").doesNotContain("\n")
          .doesNotContain("Wrong-Pw-99");
      // the application's role is in neither stats_users nor admin_users
      CliRun notStats = run("pooler", "check", "--admin-url", "postgres://app:" + APP_PASSWORD + "@127.0.0.1:" + port + "/pgbouncer");
      assertThat(notStats.exitCode()).isEqualTo(ExitCode.UNKNOWN);
      assertThat(notStats.err()).contains("refused the login").doesNotContain(APP_PASSWORD);
    }
  }

  @Test
  void aPoolTooSmallShowsWaitingClientsAndTheCheckFires(TestCluster cluster, TestDatabase db) throws Exception {
    appRole(db);
    int port = FreePort.find();
    CliRun r = run("pooler", "config", "--url", db.url(), "--output", dir.toString(), "--users", "app", "--listen-port",
        Integer.toString(port), "--sample", "200ms");
    assertThat(r.exitCode()).as(r.all()).isIn(ExitCode.OK, ExitCode.WARNING);
    // a user who sized it by hand: two connections and no reserve
    Path ini = dir.resolve("pgbouncer.ini");
    Files.writeString(ini, Files.readString(ini).replaceAll("(?m)^default_pool_size = \\d+", "default_pool_size = 2")
        .replaceAll("(?m)^reserve_pool_size = \\d+", "reserve_pool_size = 0"));
    try (LocalPgBouncer bouncer = LocalPgBouncer.startConfigured(ini, port)) {
      ExecutorService clients = Executors.newFixedThreadPool(8);
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        futures.add(clients.submit(() -> {
          try (Connection c = throughPooler(port, db.name()); Statement st = c.createStatement()) {
            st.executeQuery("SELECT pg_sleep(1.5)").close();
          }
          return null;
        }));
      }
      JsonNode report = null;
      for (int attempt = 0; attempt < 20; attempt++) {
        Thread.sleep(300);
        CliRun check = run("pooler", "check", "--admin-url", adminUrl(cluster, port), "--url", db.url(), "--format", "json",
            "-t", "pooler_maxwait.warning=200ms");
        report = JSON.readTree(check.out());
        if (check.exitCode() != ExitCode.OK) {
          assertThat(check.exitCode()).as(check.all()).isIn(ExitCode.WARNING, ExitCode.CRITICAL);
          break;
        }
      }
      for (Future<?> f : futures) {
        f.get();
      }
      clients.shutdown();
      assertThat(report).isNotNull();
      JsonNode waiting = check(report, "pooler_clients_waiting");
      assertThat(waiting.get("status").asText()).as(report.toString()).isEqualTo("warning");
      assertThat(waiting.get("value").asInt()).isGreaterThanOrEqualTo(1);
      assertThat(check(report, "pooler_saturation").get("status").asText()).isEqualTo("warning");
      assertThat(check(report, "pooler_saturation").get("display").asText()).startsWith("2/2");
    }
  }

  private static JsonNode check(JsonNode report, String name) {
    for (JsonNode c : report.get("checks")) {
      if (c.get("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no check " + name + " in " + report);
  }

  @Test
  void sessionFeaturesChooseSessionModeAndAForcedTransactionModeSaysWhatBreaks(TestCluster cluster, TestDatabase db) throws Exception {
    appRole(db);
    db.resetStatements();
    try (Connection app = DriverManager.getConnection(db.jdbcUrl() + "?user=app&password=" + APP_PASSWORD);
         Statement st = app.createStatement()) {
      st.execute("SET search_path = public");
      st.execute("LISTEN jobs");
      st.executeQuery("SELECT pg_advisory_lock(42)").close();
      // the session stays idle holding the lock while pgopt looks
      CliRun auto = run("pooler", "config", "--url", db.url(), "--output", dir.toString(), "--users", "app", "--sample", "200ms");
      assertThat(auto.exitCode()).as(auto.all()).isEqualTo(ExitCode.WARNING);
      assertThat(settings(dir.resolve("pgbouncer.ini"))).containsEntry("pool_mode", "session");
      assertThat(auto.out()).contains("session mode because of session SET").contains("LISTEN")
          .contains("holds an advisory lock while idle");

      CliRun forced = run("pooler", "config", "--url", db.url(), "--output", dir.toString(), "--users", "app", "--sample", "200ms",
          "--pool-mode", "transaction", "--pgbouncer-version", "1.18", "--force");
      assertThat(forced.exitCode()).as(forced.all()).isEqualTo(ExitCode.WARNING);
      assertThat(settings(dir.resolve("pgbouncer.ini"))).containsEntry("pool_mode", "transaction")
          .doesNotContainKey("max_prepared_statements");
      assertThat(forced.out()).contains("transaction mode breaks session SET").contains("transaction mode breaks LISTEN")
          .contains("prepareThreshold=0");
    }
  }

  @Test
  void aMonitorsHistoryRaisesThePeakASampleCannotSee(TestCluster cluster, TestDatabase db) throws Exception {
    appRole(db);
    String schema = new String(getClass().getResourceAsStream("/db/monitor/V1__history.sql").readAllBytes(),
        java.nio.charset.StandardCharsets.UTF_8);
    try (TestDatabase store = cluster.createDatabase()) {
      // the monitor's own schema, with default partitions where the monitor would make daily and monthly ones
      store.execute("CREATE SCHEMA pgopt", "SET search_path = pgopt", schema,
          "CREATE TABLE pgopt.samples_default PARTITION OF pgopt.samples DEFAULT",
          "CREATE TABLE pgopt.samples_hourly_default PARTITION OF pgopt.samples_hourly DEFAULT",
          "INSERT INTO pgopt.samples VALUES ('app', 'connections_active', now() - interval '1 hour', 3),"
              + " ('app', 'connections_active', now() - interval '3 days', 12), ('other', 'connections_active', now(), 70),"
              + " ('app', 'connections_active', now() - interval '9 days', 90), ('app', 'connections', now(), 80)",
          "INSERT INTO pgopt.samples_hourly VALUES ('app', 'connections_active', now() - interval '5 days', 9, 1, 17, 240)");
      CliRun r = run("pooler", "config", "--url", db.url(), "--output", dir.toString(), "--users", "app", "--sample", "200ms",
          "--history", store.url(), "--history-target", "app", "--format", "json");
      assertThat(r.exitCode()).as(r.all()).isIn(ExitCode.OK, ExitCode.WARNING);
      JsonNode j = JSON.readTree(r.out());
      // the hourly maximum five days ago; not the other target's, not the series of all connections, not nine days ago
      assertThat(j.path("history_peak_active").asInt()).isEqualTo(17);
      assertThat(j.path("sizing").path("peak_busy_sessions").asInt()).isEqualTo(17);
      CliRun none = run("pooler", "config", "--url", db.url(), "--output", dir.toString(), "--users", "app", "--sample", "200ms",
          "--history", store.url(), "--history-target", "nobody", "--force");
      assertThat(none.out()).contains("the store holds no connections_active for target nobody");
      CliRun half = run("pooler", "config", "--url", db.url(), "--output", dir.resolve("x").toString(), "--history", store.url());
      assertThat(half.exitCode()).isEqualTo(ExitCode.USAGE);
      assertThat(half.err()).contains("--history and --history-target go together");
    }
  }

  @Test
  void badInputIsOneLineAndLeavesNothingHalfWritten(TestCluster cluster, TestDatabase db) throws Exception {
    Files.writeString(dir.resolve("pgbouncer.ini"), "; mine\n");
    CliRun existing = run("pooler", "config", "--url", db.url(), "--output", dir.toString(), "--sample", "100ms");
    assertThat(existing.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(existing.err().strip()).startsWith("pgopt: ").contains("--force").doesNotContain("\n");
    assertThat(Files.readString(dir.resolve("pgbouncer.ini"))).isEqualTo("; mine\n");

    Path fresh = dir.resolve("fresh");
    CliRun noRole = run("pooler", "config", "--url", db.url(), "--output", fresh.toString(), "--users", "nobody_here", "--sample", "100ms");
    assertThat(noRole.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(noRole.err()).contains("no role 'nobody_here'").contains("nothing was written");
    assertThat(fresh).doesNotExist();

    assertThat(run("pooler", "config", "--url", db.url(), "--output", fresh.toString(), "--pool-mode", "statement").err())
        .contains("pool mode must be auto, session or transaction");
    assertThat(run("pooler", "config", "--url", db.url(), "--output", fresh.toString(), "--listen-addr", "1.2.3.4\nauth_type=trust")
        .exitCode()).isEqualTo(ExitCode.USAGE);

    CliRun notAdmin = run("pooler", "check", "--admin-url", "postgres://u@127.0.0.1:6432/app");
    assertThat(notAdmin.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(notAdmin.err()).contains("the database 'pgbouncer'");

    int closed = FreePort.find();
    CliRun down = run("pooler", "check", "--admin-url", "postgres://u:Secret-77@127.0.0.1:" + closed + "/pgbouncer");
    assertThat(down.exitCode()).isEqualTo(ExitCode.UNKNOWN);
    assertThat(down.err().strip()).startsWith("pgopt: ").doesNotContain("\n").doesNotContain("Secret-77");
  }
}
