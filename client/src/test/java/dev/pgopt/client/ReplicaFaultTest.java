package dev.pgopt.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.client.route.NodeStatus;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class ReplicaFaultTest {

  private static int port(java.sql.Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_setting('port')::int")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static NodeStatus replica(PgoptDataSource ds) {
    return ds.nodes().get(1);
  }

  @Test
  void readsSurviveAReplicaCrashAndTheReplicaRejoins(TestCluster primary, TestDatabase db) throws Exception {
    TestCluster replica = primary.startReplica();
    try (PgoptDataSource ds = PgoptDataSource.builder().primary(db.url()).replica("r", replica.url(db.name()))
        .healthCheckInterval(Duration.ofMillis(100)).poolSize(4, 4).build()) {
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger onReplica = new AtomicInteger();
      Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> readers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        readers.add(pool.submit(() -> {
          while (running.get()) {
            try {
              if (ds.read("port", ReplicaFaultTest::port) == replica.port()) {
                onReplica.incrementAndGet();
              }
              ok.incrementAndGet();
            } catch (SQLException | RuntimeException e) {
              failures.add(e);
            }
          }
        }));
      }
      Probe.waitUntil(() -> onReplica.get() > 50);
      replica.postgres().stopImmediately();
      Probe.waitUntil(() -> replica(ds).breaker().equals("OPEN"));
      assertThat(replica(ds).routable()).isFalse();
      int before = ok.get();
      Probe.waitUntil(() -> ok.get() > before + 200);

      replica.postgres().start();
      int replicaReads = onReplica.get();
      // Back after the health check sees it and the breaker's open period ends.
      Probe.waitUntil(() -> onReplica.get() > replicaReads + 50);
      running.set(false);
      for (Future<?> f : readers) {
        f.get();
      }
      pool.shutdown();
      assertThat(failures).isEmpty();
      assertThat(replica(ds).routable()).isTrue();
    } finally {
      replica.close();
    }
  }

  @Test
  void pausedReplayTakesTheReplicaOutOfRotationUntilItCatchesUp(TestCluster primary, TestDatabase db) throws Exception {
    db.execute("CREATE TABLE churn (payload text)");
    try (TestCluster replica = primary.startReplica();
        PgoptDataSource ds = PgoptDataSource.builder().primary(db.url()).replica("r", replica.url(db.name()))
            .healthCheckInterval(Duration.ofMillis(100)).maxReplicaLag(256 * 1024, Duration.ofSeconds(30)).build()) {
      assertThat(ds.read("port", ReplicaFaultTest::port)).isEqualTo(replica.port());
      replica.execute(db.name(), "SELECT pg_wal_replay_pause()");
      db.execute("INSERT INTO churn SELECT repeat('x', 500) FROM generate_series(1, 5000)");
      Probe.waitUntil(() -> replica(ds).lagBytes() > 256 * 1024);
      Probe.waitUntil(() -> !replica(ds).routable());
      assertThat(replica(ds).problem()).contains("over the limit");
      assertThat(ds.read("port", ReplicaFaultTest::port)).isEqualTo(primary.port());

      replica.execute(db.name(), "SELECT pg_wal_replay_resume()");
      Probe.waitUntil(() -> replica(ds).routable());
      assertThat(ds.read("port", ReplicaFaultTest::port)).isEqualTo(replica.port());
    }
  }

  @Test
  void lagInTimeIsMeasuredAgainstThePrimarysOwnHistory(TestCluster primary, TestDatabase db) throws Exception {
    db.execute("CREATE TABLE ticks (n int)");
    try (TestCluster replica = primary.startReplica();
        PgoptDataSource ds = PgoptDataSource.builder().primary(db.url()).replica("r", replica.url(db.name()))
            .healthCheckInterval(Duration.ofMillis(100)).maxReplicaLag(Long.MAX_VALUE, Duration.ofMillis(800)).build()) {
      Probe.waitUntil(() -> replica(ds).lagMillis() == 0);
      replica.execute(db.name(), "SELECT pg_wal_replay_pause()");
      db.execute("INSERT INTO ticks VALUES (1)");
      Probe.waitUntil(() -> replica(ds).lagMillis() > 800);
      assertThat(replica(ds).routable()).isFalse();
      replica.execute(db.name(), "SELECT pg_wal_replay_resume()");
      Probe.waitUntil(() -> replica(ds).routable() && replica(ds).lagMillis() == 0);
    }
  }
}
