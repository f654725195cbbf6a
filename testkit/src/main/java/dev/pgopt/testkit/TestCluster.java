package dev.pgopt.testkit;

import dev.pgopt.local.FreePort;
import dev.pgopt.local.LocalPgBouncer;
import dev.pgopt.local.LocalPostgres;
import dev.pgopt.local.PostgresInstallation;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL cluster started by the test kit from the system binaries, on a free loopback port, with
 * {@code pg_stat_statements} preloaded. Databases made by {@link #createDatabase()} have {@code
 * pg_stat_statements}, {@code vector} and {@code hypopg} created.
 */
public final class TestCluster implements AutoCloseable {
  public static final String SUPERUSER = "pgopt_test";
  private static final String TEMPLATE = "pgopt_template";

  private final LocalPostgres postgres;
  private final Path workDir;
  private final int port;
  private final String password;
  private final AtomicInteger counter = new AtomicInteger();
  private volatile boolean templateReady;

  private TestCluster(LocalPostgres postgres, Path workDir, int port, String password) {
    this.postgres = postgres;
    this.workDir = workDir;
    this.port = port;
    this.password = password;
  }

  /** Initializes and starts a new primary under {@code workDir}. */
  public static TestCluster startPrimary(Path workDir, String password) {
    LocalPostgres pg = LocalPostgres.at(workDir.resolve("primary"));
    pg.initialize(SUPERUSER, password, false);
    int port = FreePort.find();
    pg.configure(testSettings(port, pg.installation()));
    pg.start();
    return new TestCluster(pg, workDir, port, password);
  }

  static Map<String, String> testSettings(int port, PostgresInstallation installation) {
    Map<String, String> s = LocalPostgres.standardSettings(port, installation);
    // A test cluster is disposable: trade durability for speed.
    s.put("fsync", "off");
    s.put("synchronous_commit", "off");
    s.put("full_page_writes", "off");
    s.put("max_connections", "200");
    return s;
  }

  /** Starts a streaming replica of this cluster (pg_basebackup -R). Close it when done. */
  public TestCluster startReplica() {
    LocalPostgres replica = LocalPostgres.at(workDir.resolve("replica-" + counter.incrementAndGet()));
    replica.initializeAsReplicaOf("127.0.0.1", port, SUPERUSER, password);
    int replicaPort = FreePort.find();
    replica.configure(testSettings(replicaPort, replica.installation()));
    replica.start();
    return new TestCluster(replica, workDir, replicaPort, password);
  }

  /** Starts a PgBouncer in front of this cluster for the superuser. Close it when done. */
  public LocalPgBouncer startPgBouncer(String poolMode) {
    return startPgBouncer(poolMode, 20);
  }

  /** As {@link #startPgBouncer(String)}, with {@code poolSize} server connections per database and user. */
  public LocalPgBouncer startPgBouncer(String poolMode, int poolSize) {
    return LocalPgBouncer.start(workDir.resolve("pgbouncer-" + counter.incrementAndGet()), port, SUPERUSER, password, poolMode,
        poolSize);
  }

  public int port() {
    return port;
  }

  public String host() {
    return "127.0.0.1";
  }

  public String superuser() {
    return SUPERUSER;
  }

  public String password() {
    return password;
  }

  public LocalPostgres postgres() {
    return postgres;
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** A libpq URL with the superuser's password in it, as users paste them. */
  public String url(String database) {
    return "postgres://" + SUPERUSER + ":" + URLEncoder.encode(password, StandardCharsets.UTF_8) + "@127.0.0.1:" + port + "/" + database;
  }

  public Connection connect(String database) throws SQLException {
    return connect(database, "pgopt-testkit");
  }

  /** A superuser connection that shows {@code applicationName} in pg_stat_activity (a session a test watches). */
  public Connection connect(String database, String applicationName) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", SUPERUSER);
    p.setProperty("password", password);
    p.setProperty("ApplicationName", applicationName);
    return DriverManager.getConnection(jdbcUrl(database), p);
  }

  /** A new, empty database with the extensions created. */
  public TestDatabase createDatabase() {
    ensureTemplate();
    String name = "t" + ProcessHandle.current().pid() + "_" + counter.incrementAndGet();
    execute("postgres", "CREATE DATABASE " + name + " TEMPLATE " + TEMPLATE);
    return new TestDatabase(this, name);
  }

  private synchronized void ensureTemplate() {
    if (templateReady) {
      return;
    }
    execute("postgres", "CREATE DATABASE " + TEMPLATE);
    execute(TEMPLATE,
        "CREATE EXTENSION pg_stat_statements",
        "CREATE EXTENSION vector",
        "CREATE EXTENSION hypopg");
    templateReady = true;
  }

  public void execute(String database, String... statements) {
    try (Connection c = connect(database); Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("test setup SQL failed on " + database + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    postgres.stop();
  }
}
