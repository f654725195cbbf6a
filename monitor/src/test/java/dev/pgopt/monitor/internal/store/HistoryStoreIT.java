package dev.pgopt.monitor.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.analyze.workload.StatementDelta;
import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementCounters;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.monitor.internal.collect.Series;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** No single row can stop the history store: what it refuses is set aside, everything else is written. */
@ExtendWith(PostgresExtension.class)
class HistoryStoreIT {
  @TempDir
  Path home;

  private HistoryStore open(TestCluster cluster, TestDatabase store, SimpleMeterRegistry registry) throws Exception {
    DatabaseTarget target = DatabaseTarget.parse(store.url(),
        Environment.of(Map.of("PGPASSWORD", cluster.password()), home, "tester"));
    HistoryStore s = new HistoryStore(target, Duration.ofDays(7), Duration.ofDays(90), 100_000, Clock.systemUTC(), registry);
    assertThat(s.start()).isTrue();
    return s;
  }

  private static double rejected(SimpleMeterRegistry registry) {
    return registry.get("pgopt.store.rejected.rows").counter().count();
  }

  @Test
  void theSameStatementRunByTwoRolesAndNestedIsWrittenOnce(TestCluster cluster) throws Exception {
    try (TestDatabase target = cluster.createDatabase(); TestDatabase storeDb = cluster.createDatabase()) {
      target.execute("CREATE TABLE items (id int, owner int)", "INSERT INTO items SELECT g, g % 10 FROM generate_series(1, 100) g",
          "DROP ROLE IF EXISTS history_second", "CREATE ROLE history_second LOGIN PASSWORD 'second'",
          "GRANT SELECT ON items TO history_second",
          "CREATE FUNCTION owned(int) RETURNS bigint LANGUAGE plpgsql AS $f$DECLARE n bigint; BEGIN "
              + "SELECT count(*) INTO n FROM items WHERE owner = $1; RETURN n; END$f$",
          "ALTER DATABASE " + target.name() + " SET pg_stat_statements.track = 'all'");
      try (Connection c = target.connect(); Statement s = c.createStatement();
           java.sql.PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM items WHERE owner = ?")) {
        s.execute("SELECT pg_stat_statements_reset()");
        ps.setInt(1, 3);
        ps.executeQuery().close();
        s.executeQuery("SELECT owned(4)").close();
        s.execute("SET ROLE history_second");
        ps.setInt(1, 5);
        ps.executeQuery().close();
      }
      List<StatementDelta> deltas = new ArrayList<>();
      try (Connection c = target.connect()) {
        for (StatementEntry e : StatementCollector.read(c, 150000, Clock.systemUTC()).entries()) {
          if (e.query().contains("FROM items WHERE owner = $1")) {
            deltas.add(new StatementDelta(e, e.counters(), true));
          }
        }
      }
      assertThat(deltas).as("one queryid, two roles, top-level and nested").hasSizeGreaterThanOrEqualTo(3);
      assertThat(deltas.stream().map(d -> d.entry().queryId()).distinct()).hasSize(1);
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      try (HistoryStore store = open(cluster, storeDb, registry)) {
        store.write(HistoryWrites.statements("app", Instant.now(), 60, deltas));
        assertThat(store.flush(Duration.ofSeconds(20))).isTrue();
        assertThat(store.up()).isTrue();
        assertThat(rejected(registry)).isZero();
        try (Connection c = storeDb.connect()) {
          assertThat(Probe.count(c, "SELECT count(*) FROM pgopt.statement_texts")).isEqualTo(1);
          assertThat(Probe.count(c, "SELECT count(*) FROM pgopt.statement_stats")).isEqualTo(deltas.size());
        }
      } finally {
        target.execute("DROP OWNED BY history_second", "DROP ROLE history_second");
      }
    }
  }

  @Test
  void aStoreWhoseSchemaIsDroppedIsMigratedAgainAndKeepsTheBufferedRows(TestCluster cluster) throws Exception {
    try (TestDatabase storeDb = cluster.createDatabase()) {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      try (HistoryStore store = open(cluster, storeDb, registry)) {
        Instant now = Instant.now();
        store.write(HistoryWrites.samples("app", now, Map.of(Series.UP, 1.0)));
        assertThat(store.flush(Duration.ofSeconds(20))).isTrue();
        storeDb.execute("DROP SCHEMA pgopt CASCADE");
        store.write(HistoryWrites.samples("app", now.plusSeconds(15), Map.of(Series.UP, 1.0)));
        assertThat(store.flush(Duration.ofSeconds(30))).as("written after the schema came back").isTrue();
        assertThat(store.up()).isTrue();
        assertThat(rejected(registry)).isZero();
        try (Connection c = storeDb.connect()) {
          assertThat(Probe.count(c, "SELECT count(*) FROM pgopt.samples WHERE metric = 'up'")).isEqualTo(1);
        }
      }
    }
  }

  @Test
  void aRowTheStoreRefusesIsSetAsideAndEverythingElseIsWritten(TestCluster cluster) throws Exception {
    try (TestDatabase storeDb = cluster.createDatabase()) {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      try (HistoryStore store = open(cluster, storeDb, registry)) {
        Instant now = Instant.now();
        // a NUL byte, as in an audited request body {"queryid": "\u0000"}: PostgreSQL text cannot hold it
        store.write(HistoryWrites.audit(now, "admin", "127.0.0.1", "POST", "/api/targets/t/explain", 400, "queryid \u0000"));
        List<StatementDelta> deltas = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          StatementCounters k = new StatementCounters(10, 5.0, 10, 1, 0, 0, 0, 0, 0, 0);
          String q = i == 3 ? "SELECT \u0000 bad" : "SELECT " + i;
          deltas.add(new StatementDelta(new StatementEntry(10, 1, 100 + i, true, "app", q, k), k, true));
        }
        store.write(HistoryWrites.statements("app", now, 60, deltas));
        store.write(HistoryWrites.samples("app", now, Map.of(Series.UP, 1.0)));
        assertThat(store.flush(Duration.ofSeconds(20))).isTrue();
        assertThat(store.up()).isTrue();
        assertThat(rejected(registry)).isEqualTo(1 + 2);
        try (Connection c = storeDb.connect()) {
          assertThat(Probe.count(c, "SELECT count(*) FROM pgopt.statement_stats")).isEqualTo(4);
          assertThat(Probe.count(c, "SELECT count(*) FROM pgopt.statement_texts")).isEqualTo(4);
          assertThat(Probe.count(c, "SELECT count(*) FROM pgopt.samples WHERE metric = 'up'")).isEqualTo(1);
        }
        // and later writes still go through
        store.write(HistoryWrites.samples("app", now.plusSeconds(15), Map.of(Series.UP, 1.0)));
        assertThat(store.flush(Duration.ofSeconds(20))).isTrue();
        try (Connection c = storeDb.connect()) {
          assertThat(Probe.count(c, "SELECT count(*) FROM pgopt.samples WHERE metric = 'up'")).isEqualTo(2);
        }
      }
    }
  }
}
