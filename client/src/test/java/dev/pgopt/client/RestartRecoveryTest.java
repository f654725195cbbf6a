package dev.pgopt.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.client.route.NodeState;
import dev.pgopt.client.route.NodeStatus;
import dev.pgopt.client.route.NodeTransition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.pgopt.local.ServiceUser;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Restarts of the primary and of a replica under load, on a cluster of its own. The goals of docs/client.md are
 * asserted loosely here (this machine is shared and slow at times); the recovery benchmark writes the exact figures.
 */
class RestartRecoveryTest {
  private Path dir;
  private TestCluster primary;

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("pgopt-recovery-");
    ServiceUser.createPrivateDirectory(dir);
    primary = TestCluster.startPrimary(dir, "recovery-pw");
    primary.execute("postgres", "CREATE TABLE t (id int PRIMARY KEY, v bigint)", "INSERT INTO t VALUES (1, 0)",
        "ALTER DATABASE postgres SET synchronous_commit = on");
  }

  @AfterEach
  void stop() throws Exception {
    primary.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  @Test
  void aRestartedReplicaIsNotCalledLaggingAndNoReadWaitsOnIt() throws Exception {
    Queue<NodeTransition> transitions = new ConcurrentLinkedQueue<>();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (TestCluster replica = primary.startReplica();
        PgoptDataSource ds = PgoptDataSource.builder().primary(primary.url("postgres"))
            .replica("r", replica.url("postgres")).healthCheckInterval(Duration.ofMillis(100)).poolSize(4, 4)
            .onNodeTransition(transitions::add).meterRegistry(registry).build()) {
      Load reads = new Load(2, () -> ds.read("t.read", c -> one(c)));
      try {
        Probe.waitUntil(() -> reads.done.get() > 500);
        replica.postgres().stop();
        Thread.sleep(1500);
        long startedAt = System.nanoTime();
        replica.postgres().start();
        long accepting = (System.nanoTime() - startedAt) / 1_000_000;
        List<String> problems = new ArrayList<>();
        long routableAfter = -1;
        for (int i = 0; i < 100 && routableAfter < 0; i++) {
          NodeStatus r = ds.nodes().get(1);
          if (r.routable()) {
            routableAfter = (System.nanoTime() - startedAt) / 1_000_000 - accepting;
          } else if (r.problem() != null) {
            problems.add(r.problem());
          }
          Thread.sleep(50);
        }
        long before = reads.done.get();
        Probe.waitUntil(() -> reads.done.get() > before + 500);
        System.out.printf("replica restart: routable %d ms after accepting; problems seen %s; slowest read %d ms;"
            + " read errors %d%n", routableAfter, problems.stream().distinct().toList(), reads.slowestMillis.get(),
            reads.errors.size());
        assertThat(routableAfter).as("the replica serves again soon after it accepts connections")
            .isBetween(0L, 3000L);
        assertThat(problems).as("an idle primary's replica is not lagging").noneMatch(p -> p.contains("lag"));
        assertThat(reads.errors).isEmpty();
        assertThat(reads.slowestMillis.get()).as("no read waits on a node that is not ready").isLessThan(1000);
        List<NodeTransition> ofReplica = transitions.stream().filter(t -> t.node().equals("r")).toList();
        assertThat(ofReplica).extracting(NodeTransition::to).contains(NodeState.UNREACHABLE);
        NodeTransition last = ofReplica.get(ofReplica.size() - 1);
        assertThat(last.to()).isEqualTo(NodeState.SERVING);
        assertThat(ds.nodes().get(1).state()).isEqualTo(NodeState.SERVING);
        assertThat(ds.nodes().get(1).since()).isEqualTo(last.at());
        assertThat(registry.get("pgopt.client.node.transitions").tag("node", "r").tag("to", "SERVING").counter().count())
            .isGreaterThanOrEqualTo(1);
      } finally {
        reads.stop();
      }
    }
  }

  @Test
  void writesSucceedSoonAfterThePrimaryAcceptsConnections() throws Exception {
    try (PgoptDataSource ds = PgoptDataSource.builder().primary(primary.url("postgres"))
        .healthCheckInterval(Duration.ofMillis(100)).poolSize(4, 1).build()) {
      AtomicLong lastSuccess = new AtomicLong();
      Load writes = new Load(3, () -> {
        ds.tx("t.write", c -> {
          try (Statement s = c.createStatement()) {
            return s.executeUpdate("UPDATE t SET v = v + 1 WHERE id = 1");
          }
        });
        lastSuccess.set(System.nanoTime());
        return 1;
      });
      try {
        Probe.waitUntil(() -> writes.done.get() > 300);
        primary.postgres().stopImmediately();
        Thread.sleep(2000);
        AtomicLong acceptedAt = new AtomicLong();
        Thread poller = new Thread(() -> {
          while (acceptedAt.get() == 0) {
            try (Connection c = DriverManager.getConnection(primary.jdbcUrl("postgres"), primary.superuser(),
                primary.password())) {
              acceptedAt.set(System.nanoTime());
            } catch (SQLException e) {
              Thread.onSpinWait();
            }
          }
        });
        poller.start();
        primary.postgres().start();
        poller.join();
        Probe.waitUntil(() -> lastSuccess.get() > acceptedAt.get());
        long firstWriteMillis = (lastSuccess.get() - acceptedAt.get()) / 1_000_000;
        System.out.printf("primary restart: first write %d ms after the primary accepted connections%n",
            firstWriteMillis);
        assertThat(firstWriteMillis).as("writes resume soon after the primary accepts connections").isLessThan(2000);
      } finally {
        writes.stop();
      }
    }
  }

  private static int one(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT v FROM t WHERE id = 1")) {
      rs.next();
      return 1;
    }
  }

  /** Threads repeating one operation, counting successes, errors and the slowest call. */
  private static final class Load {
    interface Operation {
      Object run() throws Exception;
    }

    final AtomicLong done = new AtomicLong();
    final AtomicLong slowestMillis = new AtomicLong();
    final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ExecutorService pool;
    private final List<Future<?>> workers = new ArrayList<>();

    Load(int threads, Operation op) {
      pool = Executors.newFixedThreadPool(threads);
      for (int i = 0; i < threads; i++) {
        workers.add(pool.submit(() -> {
          while (running.get()) {
            long start = System.nanoTime();
            try {
              op.run();
              done.incrementAndGet();
              slowestMillis.accumulateAndGet((System.nanoTime() - start) / 1_000_000, Math::max);
            } catch (Exception e) {
              errors.add(e);
              Thread.sleep(10);
            }
          }
          return null;
        }));
      }
    }

    void stop() throws Exception {
      running.set(false);
      for (Future<?> f : workers) {
        f.get();
      }
      pool.shutdown();
    }
  }
}
