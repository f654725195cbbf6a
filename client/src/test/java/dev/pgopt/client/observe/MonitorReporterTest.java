package dev.pgopt.client.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.client.PgoptDataSource;
import dev.pgopt.client.cache.CacheStrategies;
import dev.pgopt.client.cache.QueryCache;
import dev.pgopt.connect.Environment;
import dev.pgopt.monitor.Monitor;
import dev.pgopt.monitor.MonitorConfigLoader;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** An application reports its nodes and cache statistics to a real pgopt monitor, which serves them back. */
@ExtendWith(PostgresExtension.class)
class MonitorReporterTest {
  static final String ADMIN = "admin-token-0123456789abcdef";

  @Test
  void reportsNodesAndCacheStatisticsToTheMonitor(TestCluster cluster, TestDatabase db) throws Exception {
    TestDatabase store = cluster.createDatabase();
    Environment env = Environment.of(Map.of(), Path.of(System.getProperty("java.io.tmpdir")), "app");
    String yaml = """
        server: {port: 0, admin_token: %s}
        store: {url: "%s"}
        targets: [{name: app, url: "%s"}]
        """.formatted(ADMIN, cluster.url(store.name()), cluster.url(db.name()));
    try (Monitor monitor = Monitor.start(MonitorConfigLoader.parse(yaml, "test", env, Optional.empty()), env, Clock.systemUTC(), "test");
         PgoptDataSource ds = PgoptDataSource.builder().primary(cluster.url(db.name())).build();
         QueryCache cache = QueryCache.builder().build()) {
      cache.get("k", CacheStrategies.USER_PROFILE, String.class, () -> "v");
      cache.get("k", CacheStrategies.USER_PROFILE, String.class, () -> "v");
      try (MonitorReporter wrongToken = MonitorReporter.builder(monitor.baseUrl(), "checkout").token("nope-nope-nope-nope").dataSource(ds).start()) {
        assertThat(wrongToken.reportNow()).isFalse();
        assertThat(wrongToken.lastError()).contains("401");
      }
      try (MonitorReporter reporter = MonitorReporter.builder(monitor.baseUrl(), "checkout").token(ADMIN).dataSource(ds).cache(cache).start()) {
        assertThat(reporter.reportNow()).as(String.valueOf(reporter.lastError())).isTrue();
      }
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(monitor.baseUrl() + "/api/clients"))
          .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
      JsonNode checkout = new ObjectMapper().readTree(r.body()).path("checkout");
      assertThat(checkout.path("stale").asBoolean()).isFalse();
      assertThat(checkout.path("report").path("nodes").get(0).path("role").asText()).isEqualTo("PRIMARY");
      assertThat(checkout.path("report").path("cache").path("l1_hits").asLong()).isEqualTo(1);
      assertThat(r.body()).doesNotContain(cluster.password());
    } finally {
      store.close();
    }
  }

  @Test
  void refusesBadSettings() {
    assertThatThrownBy(() -> MonitorReporter.builder("monitor:8432", "app")).hasMessageContaining("http://");
    assertThatThrownBy(() -> MonitorReporter.builder("http://m:8432", "bad name")).hasMessageContaining("application name");
  }

  @Test
  void aMonitorThatIsDownNeverFailsTheApplication() {
    try (MonitorReporter r = MonitorReporter.builder("http://127.0.0.1:1", "app").start()) {
      assertThat(r.reportNow()).isFalse();
      assertThat(r.lastError()).contains("cannot report to 127.0.0.1:1");
    }
  }
}
