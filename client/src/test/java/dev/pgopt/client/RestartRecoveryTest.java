package dev.pgopt.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.client.route.NodeState;
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
 * asserted loosely here (this machine is shared and slow at times); {@code scripts/bench-client-recovery} runs more
 * rounds for the figures in docs/benchmarks/client.md.
 */
// the extension only to be skipped with the other server tests in the fast tier: these start servers of their own
@org.junit.jupiter.api.extension.ExtendWith(dev.pgopt.testkit.PostgresExtension.class)
class RestartRecoveryTest {
  /** More rounds for the figures in docs/benchmarks/client.md: {@code -Dpgopt.recovery.rounds=5}. */
  private static final int ROUNDS = Integer.getInteger("pgopt.recovery.rounds", 1);
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
      List<Long> routableAfter = new ArrayList<>();
      List<Long> slowest = new ArrayList<>();
      try {
        for (int round = 0; round < ROUNDS; round++) {
          Probe.waitUntil(() -> ds.nodes().get(1).routable());
          long done = reads.done.get();
          Probe.waitUntil(() -> reads.done.get() > done + 500);
          reads.slowestMillis.set(0);
          replica.postgres().stop();
          Thread.sleep(1500);
          long acceptedAt = startAndWaitUntilAccepting(replica);
          List<String> problems = new ArrayList<>();
          while (!ds.nodes().get(1).routable() && System.nanoTime() - acceptedAt < 10_000_000_000L) {
            String problem = ds.nodes().get(1).problem();
            if (problem != null) {
              problems.add(problem);
            }
            Thread.sleep(5);
          }
          routableAfter.add((System.nanoTime() - acceptedAt) / 1_000_000);
          long after = reads.done.get();
          Probe.waitUntil(() -> reads.done.get() > after + 500);
          slowest.add(reads.slowestMillis.get());
          assertThat(problems).as("an idle primary's replica is not lagging").noneMatch(p -> p.contains("lag"));
        }
        System.out.printf("replica restart, %d rounds: routable %s ms after it accepted connections; slowest read per"
            + " round %s ms; %d read errors%n", ROUNDS, routableAfter, slowest, reads.errors.size());
        assertThat(routableAfter).as("the replica serves again soon after it accepts connections")
            .allSatisfy(ms -> assertThat(ms).isLessThan(3000));
        assertThat(reads.errors).isEmpty();
        assertThat(slowest).as("no read waits on a node that is not ready").allSatisfy(ms -> assertThat(ms).isLessThan(1000));
        List<NodeTransition> ofReplica = transitions.stream().filter(t -> t.node().equals("r")).toList();
        assertThat(ofReplica).extracting(NodeTransition::to).contains(NodeState.UNREACHABLE);
        NodeTransition last = ofReplica.get(ofReplica.size() - 1);
        assertThat(last.to()).isEqualTo(NodeState.SERVING);
        assertThat(ds.nodes().get(1).state()).isEqualTo(NodeState.SERVING);
        assertThat(ds.nodes().get(1).since()).isEqualTo(last.at());
        assertThat(registry.get("pgopt.client.node.transitions").tag("node", "r").tag("to", "SERVING").counter().count())
            .isGreaterThanOrEqualTo(ROUNDS);
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
      List<Long> firstWrite = new ArrayList<>();
      try {
        for (int round = 0; round < ROUNDS; round++) {
          long done = writes.done.get();
          Probe.waitUntil(() -> writes.done.get() > done + 300);
          primary.postgres().stopImmediately();
          Thread.sleep(2000);
          long acceptedAt = startAndWaitUntilAccepting(primary);
          Probe.waitUntil(() -> lastSuccess.get() > acceptedAt);
          firstWrite.add((lastSuccess.get() - acceptedAt) / 1_000_000);
        }
        System.out.printf("primary restart, %d rounds: first write %s ms after the primary accepted connections%n",
            ROUNDS, firstWrite);
        assertThat(firstWrite).as("writes resume soon after the primary accepts connections")
            .allSatisfy(ms -> assertThat(ms).isLessThan(2000));
      } finally {
        writes.stop();
      }
    }
  }

  /** Starts the server and returns when a plain connection first succeeds (nanoTime). */
  private static long startAndWaitUntilAccepting(TestCluster cluster) throws InterruptedException {
    AtomicLong acceptedAt = new AtomicLong();
    Thread poller = new Thread(() -> {
      while (acceptedAt.get() == 0) {
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl("postgres"), cluster.superuser(),
            cluster.password())) {
          acceptedAt.set(System.nanoTime());
        } catch (SQLException e) {
          java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
        }
      }
    });
    poller.setDaemon(true);
    poller.start();
    cluster.postgres().start();
    poller.join(30_000);
    return acceptedAt.get();
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
