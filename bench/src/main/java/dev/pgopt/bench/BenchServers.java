package dev.pgopt.bench;

import dev.pgopt.local.FreePort;
import dev.pgopt.local.LocalPostgres;
import dev.pgopt.local.LocalRedis;
import dev.pgopt.local.ServiceUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A private PostgreSQL (durable settings, as production) and Redis for one benchmark run, with a 100,000-row table
 * {@code accounts(id bigint primary key, owner text, balance numeric, updated_at timestamptz)}. Deleted on close.
 */
public final class BenchServers implements AutoCloseable {
  public static final String USER = "bench";
  public static final String PASSWORD = "bench-pw";
  public static final int ROWS = 100_000;

  private final Path root;
  private final LocalPostgres postgres;
  private final int port;
  private final LocalRedis redis;

  private BenchServers(Path root, LocalPostgres postgres, int port, LocalRedis redis) {
    this.root = root;
    this.postgres = postgres;
    this.port = port;
    this.redis = redis;
  }

  public static BenchServers start(boolean withRedis) throws IOException, SQLException {
    Path root = Files.createTempDirectory("pgopt-bench-");
    ServiceUser.createPrivateDirectory(root);
    LocalPostgres pg = LocalPostgres.at(root.resolve("pg"));
    pg.initialize(USER, PASSWORD, true);
    int port = FreePort.find();
    Map<String, String> settings = LocalPostgres.standardSettings(port);
    settings.put("max_connections", "200");
    pg.configure(settings);
    pg.start();
    BenchServers s = new BenchServers(root, pg, port, withRedis ? LocalRedis.start(root.resolve("redis")) : null);
    try (Connection c = s.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric NOT NULL,"
          + " updated_at timestamptz NOT NULL DEFAULT now())");
      st.execute("INSERT INTO accounts (id, owner, balance) SELECT g, 'owner-' || g, g % 1000 FROM generate_series(1, "
          + ROWS + ") g");
      st.execute("VACUUM ANALYZE accounts");
    }
    return s;
  }

  public String url() {
    return url("postgres");
  }

  public String url(String database) {
    return "postgres://" + USER + ":" + PASSWORD + "@127.0.0.1:" + port + "/" + database;
  }

  public int port() {
    return port;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  public String redisUri() {
    return redis.uri();
  }

  /** Raw HikariCP against this server, a fixed pool of {@code size}: the baseline the client is measured against. */
  public com.zaxxer.hikari.HikariConfig hikariConfig(int size) {
    com.zaxxer.hikari.HikariConfig hc = new com.zaxxer.hikari.HikariConfig();
    hc.setJdbcUrl(jdbcUrl());
    hc.setUsername(USER);
    hc.setPassword(PASSWORD);
    hc.setMaximumPoolSize(size);
    hc.setMinimumIdle(size);
    return hc;
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), USER, PASSWORD);
  }

  @Override
  public void close() throws IOException {
    if (redis != null) {
      redis.close();
    }
    postgres.stop();
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  /**
   * Runs a PostgreSQL client tool (pgbench, psql) with this server's password in its environment, in {@code dir} (or
   * the current directory), and returns what it printed; a non-zero exit fails with that output.
   */
  public static String runTool(java.nio.file.Path dir, String... cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.environment().put("PGPASSWORD", PASSWORD);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }
}
