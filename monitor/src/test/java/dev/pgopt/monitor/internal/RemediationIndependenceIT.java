package dev.pgopt.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.connect.Environment;
import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.MonitorConfigLoader;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A runaway query is cancelled on time even while the target's worker session is busy (an advisor run holds it for up
 * to two minutes): remediation has a session of its own and signals outside the responder's lock.
 */
@ExtendWith(PostgresExtension.class)
class RemediationIndependenceIT {
  @Test
  void aCancelDoesNotWaitBehindTheWorkerSession(TestCluster cluster, TestDatabase db) throws Exception {
    cluster.execute("postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shop') THEN "
        + "CREATE ROLE shop LOGIN PASSWORD 'shop-password'; END IF; END $$");
    try (TestDatabase store = cluster.createDatabase()) {
      String yaml = """
          server:
            port: 0
          store:
            url: %s
          targets:
            - name: app
              url: %s
          collect:
            activity_interval: 1s
            statements_interval: 5s
            findings_interval: 1h
          incidents:
            runaway_query: 2s
            cancel_runaway: true
          """.formatted(cluster.url(store.name()), cluster.url(db.name()));
      Environment env = Environment.of(Map.of(), Path.of(System.getProperty("java.io.tmpdir")), "pgopt");
      MonitorConfig config = MonitorConfigLoader.parse(yaml, "test.yml", env, Optional.empty());
      MonitorCore core = new MonitorCore(config, env, Clock.systemUTC(), "test.yml");
      try {
        core.start();
        TargetRuntime rt = core.targets().get("app");
        // the worker session is busy for 20 s, as during a long advisor run
        CompletableFuture<Void> busy = CompletableFuture.runAsync(() -> {
          try {
            rt.worker.withSession(c -> {
              try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_sleep(20)");
              }
              return null;
            });
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        Properties p = new Properties();
        p.setProperty("user", "shop");
        p.setProperty("password", "shop-password");
        p.setProperty("ApplicationName", "shop-web");
        try (Connection runaway = DriverManager.getConnection(cluster.jdbcUrl(db.name()), p)) {
          long start = System.nanoTime();
          CompletableFuture<SQLException> r = CompletableFuture.supplyAsync(() -> {
            try (Statement s = runaway.createStatement()) {
              s.execute("SELECT pg_sleep(60)");
              return null;
            } catch (SQLException e) {
              return e;
            }
          });
          SQLException cancelled = r.get(30, TimeUnit.SECONDS);
          double seconds = (System.nanoTime() - start) / 1e9;
          assertThat((Object) cancelled).isNotNull();
          assertThat(cancelled.getSQLState()).isEqualTo("57014");
          assertThat(busy).as("the worker session was still busy").isNotDone();
          assertThat(seconds).as("cancelled within the runaway limit and a few samples").isLessThan(10);
        }
        busy.get(30, TimeUnit.SECONDS);
      } finally {
        core.close();
      }
    }
  }
}
