package dev.pgopt.apply;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.advise.Finding;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Index builds that go wrong on a real server: the connection is cut mid-build, a writer makes the build and its
 * cleanup time out, a crashed run left a row 'running'. Every action row ends in a final state that says what was
 * found, and no run fails because of an earlier run's leftovers.
 */
@ExtendWith(PostgresExtension.class)
class ApplierIT {
  private static Finding finding(String id, String sql) {
    return new Finding(id, "index.missing", Finding.Severity.WARNING, new Finding.DbObject("public", "t", null, List.of()),
        id, Map.of(), Map.of(), Finding.Confidence.HEURISTIC, new Finding.Action(sql, null, true, "SHARE UPDATE EXCLUSIVE", "low"));
  }

  private static Applier applier(TestDatabase db, Duration lockTimeout, int retries) {
    return new Applier(new Applier.Options(lockTimeout, Duration.ofMinutes(5), retries, Duration.ofMillis(20)),
        Applier.Progress.NONE, d -> Thread.sleep(d.toMillis())).reconnectingWith(db::connect);
  }

  private static String status(Connection c, long id) throws SQLException {
    return Probe.text(c, "SELECT status || ': ' || coalesce(error, '') FROM pgopt.actions WHERE id = " + id);
  }

  @Test
  void aConnectionCutMidBuildStillEndsInAFinalStateAndLeavesNoInvalidIndex(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE v (id int, embedding vector(64))",
          "INSERT INTO v SELECT g, (SELECT array_agg(random())::vector FROM generate_series(1, 64) WHERE g > 0) "
              + "FROM generate_series(1, 6000) g");
      Finding f = finding("build", "CREATE INDEX CONCURRENTLY v_hnsw ON public.v USING hnsw (embedding vector_l2_ops);");
      try (Connection c = db.connect(); Connection killer = db.connect()) {
        int pid = (int) Probe.count(c, "SELECT pg_backend_pid()");
        CompletableFuture<List<Applier.Result>> run = CompletableFuture.supplyAsync(() -> {
          try {
            return applier(db, Duration.ofSeconds(5), 0).apply(c, null, List.of(f), Optional.empty());
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        });
        // the HNSW build itself: the audit log's own indexes, made on first use, are built by the same backend
        Probe.waitUntil(() -> Probe.exists(killer, "SELECT 1 FROM pg_stat_progress_create_index WHERE pid = " + pid
            + " AND relid = 'public.v'::regclass AND phase LIKE 'building%'"));
        Probe.exists(killer, "SELECT pg_terminate_backend(" + pid + ")");
        List<Applier.Result> r = run.get();
        assertThat(r).singleElement().satisfies(x -> {
          assertThat(x.succeeded()).isFalse();
          assertThat(x.message()).contains("connection was lost").contains("was INVALID and was dropped");
        });
        assertThat(status(killer, r.get(0).auditId())).startsWith("failed: the connection was lost");
        assertThat(Probe.count(killer, "SELECT count(*) FROM pg_class WHERE relname = 'v_hnsw'")).isZero();
      }
    }
  }

  @Test
  void aWriterThatOutlastsTheRetriesLeavesAnInvalidIndexThatTheNextRunClearsAway(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE t (id int PRIMARY KEY, x int)", "INSERT INTO t SELECT g, g FROM generate_series(1, 10000) g");
      Finding f = finding("t_x", "CREATE INDEX CONCURRENTLY t_x_idx ON public.t (x);");
      try (Connection writer = db.connect(); Connection c = db.connect()) {
        writer.setAutoCommit(false);
        try (Statement s = writer.createStatement()) {
          s.execute("UPDATE t SET x = x WHERE id = 1");
        }
        Applier.Result first = applier(db, Duration.ofMillis(300), 1).apply(c, null, List.of(f), Optional.empty()).get(0);
        assertThat(first.succeeded()).isFalse();
        assertThat(first.message()).contains("gave up after 1 attempts").contains("left behind").contains("DROP INDEX CONCURRENTLY");
        assertThat(status(c, first.auditId())).startsWith("failed:");
        assertThat(Probe.count(c, "SELECT count(*) FROM pg_index WHERE NOT indisvalid AND indexrelid = 'public.t_x_idx'::regclass"))
            .isEqualTo(1);
        writer.commit();
        Applier.Result second = applier(db, Duration.ofSeconds(5), 1).apply(c, null, List.of(f), Optional.empty()).get(0);
        assertThat(second.succeeded()).as(second.message()).isTrue();
        assertThat(second.message()).contains("dropped the INVALID index t_x_idx");
        assertThat(Probe.count(c, "SELECT count(*) FROM pg_index WHERE indisvalid AND indexrelid = 'public.t_x_idx'::regclass"))
            .isEqualTo(1);
      }
    }
  }

  @Test
  void rowsLeftRunningByACrashedRunAreSettledFromTheCatalog(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE t (id int PRIMARY KEY, x int, y int)", "INSERT INTO t SELECT g, g, g FROM generate_series(1, 1000) g",
          "CREATE INDEX t_x_idx ON t (x)");
      try (Connection c = db.connect()) {
        AuditLog.ensure(c);
        long built = AuditLog.start(c, "a", "index.missing", "CREATE INDEX CONCURRENTLY t_x_idx ON public.t (x);", null, null);
        long missing = AuditLog.start(c, "b", "index.missing", "CREATE INDEX CONCURRENTLY t_y_idx ON public.t (y);", null, null);
        long other = AuditLog.start(c, "c", "table.vacuum", "VACUUM (ANALYZE) public.t;", null, null);
        long withSettings = AuditLog.start(c, "d", "vector.build_index",
            "SET maintenance_work_mem = '64MB';\nCREATE INDEX CONCURRENTLY t_x_idx ON public.t (x);", null, null);
        applier(db, Duration.ofSeconds(5), 0).apply(c, null, List.of(), Optional.empty());
        assertThat(status(c, built)).startsWith("succeeded: reconciled").contains("the index is valid");
        assertThat(status(c, missing)).startsWith("failed: reconciled").contains("does not exist");
        assertThat(status(c, other)).startsWith("unknown: reconciled").contains("check it by hand");
        assertThat(status(c, withSettings)).as("session settings of a build are not actions to check")
            .startsWith("succeeded: reconciled");
      }
    }
  }
}
