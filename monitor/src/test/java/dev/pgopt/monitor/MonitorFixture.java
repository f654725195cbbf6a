package dev.pgopt.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.connect.Environment;
import dev.pgopt.testkit.TestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/** Starts a real monitor from YAML and talks to it over real HTTP. */
final class MonitorFixture implements AutoCloseable {
  static final String READ = "read-token-0123456789abcdef";
  static final String ADMIN = "admin-token-0123456789abcdef";
  static final ObjectMapper JSON = new ObjectMapper();

  final Monitor monitor;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private MonitorFixture(Monitor monitor) {
    this.monitor = monitor;
  }

  static MonitorFixture start(String yaml) throws ConfigException {
    return start(yaml, Map.of());
  }

  static MonitorFixture start(String yaml, Map<String, String> env) throws ConfigException {
    return start(yaml, env, Clock.systemUTC());
  }

  static MonitorFixture start(String yaml, Map<String, String> env, Clock clock) throws ConfigException {
    Environment e = Environment.of(env, Path.of(System.getProperty("java.io.tmpdir")), "pgopt");
    MonitorConfig config = MonitorConfigLoader.parse(yaml, "test.yml", e, Optional.empty());
    return new MonitorFixture(Monitor.start(config, e, clock, "test.yml"));
  }

  /** A minimal configuration: one target, fast schedules, tokens, store in {@code storeDb}. */
  static String config(TestCluster cluster, String targetDb, String storeDb, String extra) {
    return """
        server:
          port: 0
          read_token: %s
          admin_token: %s
        store:
          url: %s
        targets:
          - name: app
            url: %s
        collect:
          activity_interval: 1s
          statements_interval: 5s
          findings_interval: 1h
        """.formatted(READ, ADMIN, cluster.url(storeDb), cluster.url(targetDb)) + extra;
  }

  String baseUrl() {
    return monitor.baseUrl();
  }

  HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(monitor.baseUrl() + path)).timeout(Duration.ofSeconds(30)).GET();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String token, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(monitor.baseUrl() + path)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  JsonNode json(String path) throws Exception {
    HttpResponse<String> r = get(path, READ);
    if (r.statusCode() != 200) {
      throw new AssertionError(path + " answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }

  /** A connection that looks like an application (pgopt leaves its own sessions alone). */
  static Connection app(TestCluster cluster, String db, String applicationName) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", TestCluster.SUPERUSER);
    p.setProperty("password", cluster.password());
    p.setProperty("ApplicationName", applicationName);
    return DriverManager.getConnection(cluster.jdbcUrl(db), p);
  }

  @Override
  public void close() {
    monitor.close();
  }
}
