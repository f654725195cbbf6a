package dev.pgopt.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.local.ServiceUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** On its own cluster: it crashes the primary, which the shared test cluster must never see. */
// the extension only to be skipped with the other server tests in the fast tier: these start servers of their own
@org.junit.jupiter.api.extension.ExtendWith(dev.pgopt.testkit.PostgresExtension.class)
class PrimaryRestartTest {

  record Failure(Throwable error, long millis) {}

  @Test
  void acknowledgedWritesSurviveAPrimaryCrashAndThePoolRecovers() throws Exception {
    Path dir = Files.createTempDirectory("pgopt-restart-");
    ServiceUser.createPrivateDirectory(dir);
    try (TestCluster primary = TestCluster.startPrimary(dir, "restart-pw")) {
      primary.execute("postgres", "CREATE TABLE acks (id bigint PRIMARY KEY)",
          "ALTER DATABASE postgres SET synchronous_commit = on");
      try (PgoptDataSource ds = PgoptDataSource.builder().primary(primary.url("postgres"))
          .healthCheckInterval(Duration.ofMillis(100)).poolSize(4, 1).build()) {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong ids = new AtomicLong();
        Queue<Long> acknowledged = new ConcurrentLinkedQueue<>();
        Queue<Failure> failures = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
          writers.add(pool.submit(() -> {
            while (running.get()) {
              long id = ids.incrementAndGet();
              long start = System.nanoTime();
              try {
                ds.tx("ack.insert", c -> {
                  try (PreparedStatement ps = c.prepareStatement("INSERT INTO acks VALUES (?)")) {
                    ps.setLong(1, id);
                    return ps.executeUpdate();
                  }
                });
                acknowledged.add(id);
              } catch (SQLException e) {
                failures.add(new Failure(e, (System.nanoTime() - start) / 1_000_000));
              }
            }
          }));
        }
        Probe.waitUntil(() -> acknowledged.size() > 200);
        primary.postgres().stopImmediately();
        Probe.waitUntil(() -> failures.size() > 20);
        primary.postgres().start();
        int before = acknowledged.size();
        Probe.waitUntil(() -> acknowledged.size() > before + 200);
        running.set(false);
        for (Future<?> f : writers) {
          f.get();
        }
        pool.shutdown();

        // Fails fast and says why: a node-unavailable error (or, for a write caught in COMMIT, an unknown outcome).
        assertThat(failures).allSatisfy(f -> {
          assertThat(f.error()).isInstanceOfAny(NodeUnavailableException.class, CommitOutcomeUnknownException.class);
          assertThat(f.error().getMessage()).isNotBlank().doesNotContain("restart-pw");
          assertThat(f.millis()).isLessThan(10_000);
        });
        assertThat(failures).anySatisfy(f -> assertThat(f.error()).isInstanceOf(NodeUnavailableException.class)
            .hasMessageContaining("writes cannot go to primary"));

        Set<Long> stored = new HashSet<>();
        try (Connection c = primary.connect("postgres"); Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT id FROM acks")) {
          while (rs.next()) {
            stored.add(rs.getLong(1));
          }
        }
        assertThat(stored).containsAll(acknowledged);
        assertThat(stored.size()).isGreaterThanOrEqualTo(acknowledged.size());
        assertThat(ds.<Integer>tx("after", c -> 1).value()).isEqualTo(1);
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
