package dev.pgopt.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pgopt.load.internal.StatementTemplate;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class LoadRunIT {
  private static final Duration NO_WARMUP = Duration.ZERO;

  /** A table whose tenant column is skewed: tenant 1 holds half the rows, tenant 2 a fifth, 1,000 others the rest. */
  private static void skewed(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE events (id int PRIMARY KEY, tenant int NOT NULL, payload text)",
        "INSERT INTO events SELECT g, CASE WHEN g % 10 < 5 THEN 1 WHEN g % 10 < 7 THEN 2 ELSE 3 + g % 1000 END, md5(g::text)"
            + " FROM generate_series(1, 100000) g",
        "ANALYZE events");
    try (Connection c = db.connect()) {
      db.resetStatements();
      try (PreparedStatement ps = c.prepareStatement("SELECT id, payload FROM events WHERE tenant = ? ORDER BY id LIMIT ?");
          PreparedStatement one = c.prepareStatement("SELECT payload FROM events WHERE id = ?")) {
        for (int i = 0; i < 30; i++) {
          ps.setInt(1, 3 + i);
          ps.setInt(2, 20);
          ps.executeQuery().close();
          one.setInt(1, i + 1);
          one.executeQuery().close();
          one.executeQuery().close();
        }
      }
      c.createStatement().execute("UPDATE events SET payload = payload WHERE id = 1");
      // a read that calls a user function (here one that writes): never replayed, whatever it does
      c.createStatement().execute("CREATE TABLE leaked (v text)");
      c.createStatement().execute("CREATE FUNCTION leak(t text) RETURNS text LANGUAGE plpgsql AS"
          + " $$ BEGIN INSERT INTO leaked VALUES (t); RETURN t; END $$");
      try (PreparedStatement leak = c.prepareStatement("SELECT leak(payload) FROM events WHERE id = ?")) {
        for (int i = 0; i < 100; i++) {
          leak.setInt(1, i + 1);
          leak.executeQuery().close();
        }
      }
    }
  }

  private static WorkloadMix mix(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      return WorkloadMix.fromStatistics(c, 150000, 20);
    }
  }

  @Test
  void theMixIsTheWorkloadsReadsByCallsWithParametersFromTheColumnsStatistics(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      skewed(db);
      WorkloadMix mix = mix(db);
      assertThat(mix.statements()).extracting(WorkloadMix.Statement::jdbcSql).containsExactly(
          "SELECT payload FROM events WHERE id = ?", "SELECT id, payload FROM events WHERE tenant = ? ORDER BY id LIMIT ?");
      assertThat(mix.statements().get(0).share()).isCloseTo(2.0 / 3, within(0.01));
      assertThat(mix.skipped()).anySatisfy(s -> {
        assertThat(s.query()).startsWith("UPDATE events");
        assertThat(s.reason()).startsWith("not a read: writes");
      });
      // a function with effects beyond the read is not replayed: it would reset the statistics, or write
      assertThat(mix.skipped()).anySatisfy(s -> assertThat(s.query()).contains("pg_stat_statements_reset"));
      assertThat(mix.skipped()).anySatisfy(s -> {
        assertThat(s.query()).contains("leak(payload)");
        assertThat(s.reason()).contains("public.leak()").contains("side effects");
      });

      // the tenant parameter: drawn as often as pg_stats says each value occurs; LIMIT: the typical row count
      StatementTemplate byTenant = mix.template(1);
      try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
          "SELECT round(rows::numeric / calls) FROM pg_stat_statements WHERE query LIKE '%tenant = $1 ORDER BY id LIMIT $2'")) {
        rs.next();
        assertThat(byTenant.generators().get(2).next(new SplittableRandom(1))).isEqualTo(Long.toString(rs.getLong(1)));
      }
      Map<String, Integer> counts = new HashMap<>();
      SplittableRandom random = new SplittableRandom(42);
      int draws = 20_000;
      for (int i = 0; i < draws; i++) {
        counts.merge(byTenant.generators().get(1).next(random), 1, Integer::sum);
      }
      double[] expected = new double[2];
      try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
          "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats WHERE tablename = 'events' AND attname = 'tenant'")) {
        rs.next();
        List<String> values = List.of((String[]) rs.getArray(1).getArray());
        Float[] freqs = (Float[]) rs.getArray(2).getArray();
        expected[0] = freqs[values.indexOf("1")];
        expected[1] = freqs[values.indexOf("2")];
      }
      // within 3 standard deviations of a binomial draw
      for (int v = 0; v < 2; v++) {
        double p = expected[v];
        double observed = counts.getOrDefault(Integer.toString(v + 1), 0) / (double) draws;
        assertThat(observed).as("tenant " + (v + 1)).isCloseTo(p, within(3 * Math.sqrt(p * (1 - p) / draws)));
      }
      // every value drawn is one the column holds
      try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
          "SELECT count(DISTINCT tenant) FROM events WHERE tenant::text = ANY (?)")) {
        ps.setArray(1, c.createArrayOf("text", counts.keySet().toArray()));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(counts.size());
        }
      }
    }
  }

  @Test
  void aFixedRateTheServerKeepsUpWithIsReachedWithinTwoPercent(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      skewed(db);
      WorkloadMix mix = mix(db);
      List<Long> seconds = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
      LoadResult r = new LoadRun(db::connect, (second, sent, p50, p95, p99, failed) -> seconds.add(sent))
          .histogramLog(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8))
          .run(mix, new LoadOptions(200, Duration.ofSeconds(5), Duration.ofSeconds(1), 4, Duration.ofSeconds(10), 7, LoadOptions.Arrivals.UNIFORM));
      assertThat(r.scheduled()).isEqualTo(1000);
      assertThat(r.failed()).as(r.errors().toString()).isZero();
      assertThat(r.unsent()).isZero();
      assertThat(r.completed()).isEqualTo(1000);
      assertThat(r.achievedRate()).isCloseTo(200, within(4.0));
      assertThat(r.latency().p50()).isGreaterThan(0).isLessThan(r.latency().max() + 0.001);
      assertThat(r.statements()).extracting(LoadResult.StatementResult::completed).allSatisfy(n -> assertThat(n).isPositive());
      assertThat(seconds).as("one progress line a second").hasSizeBetween(5, 8);
      assertThat(r.timeline()).hasSize(seconds.size());
      assertThat(r.timeline().stream().mapToLong(LoadResult.Second::sent).sum()).isEqualTo(1200);
      // the interval log decodes with HdrHistogram's own reader and holds every answered request, warm-up included
      org.HdrHistogram.HistogramLogReader reader = new org.HdrHistogram.HistogramLogReader(
          new java.io.ByteArrayInputStream(log.toByteArray()));
      long logged = 0;
      for (org.HdrHistogram.EncodableHistogram h; (h = reader.nextIntervalHistogram()) != null; ) {
        logged += ((org.HdrHistogram.Histogram) h).getTotalCount();
      }
      assertThat(logged).isEqualTo(1200);

      // Poisson arrivals (the default): the number due is random around rate × duration, and all of it is served
      LoadResult poisson = new LoadRun(db::connect, LoadRun.Progress.NONE)
          .run(mix, new LoadOptions(200, Duration.ofSeconds(5), Duration.ofSeconds(1), 4, Duration.ofSeconds(10), 11));
      assertThat(poisson.scheduled()).isBetween(1000L - 130, 1000L + 130);
      assertThat(poisson.completed()).isEqualTo(poisson.scheduled());
      assertThat(poisson.unsent()).isZero();
    }
  }

  @Test
  void aRateAboveCapacityShowsAsLatencyAndLagNotAsFewerRequests(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      // 2 connections × 20 ms per request: about 100 requests a second at most, asked for 200
      WorkloadMix slow = WorkloadMix.of(Map.of("SELECT pg_sleep(0.02)", 1.0));
      LoadResult r = new LoadRun(db::connect, LoadRun.Progress.NONE)
          .run(slow, new LoadOptions(200, Duration.ofSeconds(3), NO_WARMUP, 2, Duration.ofSeconds(30), 1, LoadOptions.Arrivals.UNIFORM));
      assertThat(r.scheduled()).isEqualTo(600);
      assertThat(r.completed() + r.failed() + r.unsent()).isEqualTo(600);
      assertThat(r.unsent()).as("every due request was sent, late").isZero();
      assertThat(r.serviceTime().p50()).isBetween(19.0, 60.0);
      // the backlog grows by about 100 requests a second: the last ones wait well over a second
      assertThat(r.latency().p99()).isGreaterThan(1000);
      assertThat(r.lag().p99()).isGreaterThan(900);

      // with a short drain limit, what the server could not take is counted, not hidden
      LoadResult cut = new LoadRun(db::connect, LoadRun.Progress.NONE)
          .run(slow, new LoadOptions(200, Duration.ofSeconds(2), NO_WARMUP, 2, Duration.ofMillis(200), 1));
      assertThat(cut.unsent()).isGreaterThan(100);
      assertThat(cut.completed() + cut.failed() + cut.unsent()).isEqualTo(cut.scheduled());
    }
  }

  @Test
  void sessionsKilledMidRunAreCountedAsErrorsReopenedAndTheResultKept(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      WorkloadMix mix = WorkloadMix.of(Map.of("SELECT 1", 1.0));
      CountDownLatch halfway = new CountDownLatch(1);
      Thread killer = new Thread(() -> {
        try (Connection c = db.connect()) {
          halfway.await(30, TimeUnit.SECONDS);
          c.createStatement().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              + " WHERE application_name = 'pgopt-load-test' AND pid <> pg_backend_pid()");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      killer.start();
      LoadResult r = new LoadRun(() -> db.connect("pgopt-load-test"), (second, sent, p50, p95, p99, failed) -> {
        if (second == 1) {
          halfway.countDown();
        }
      }).run(mix, new LoadOptions(100, Duration.ofSeconds(4), NO_WARMUP, 2, Duration.ofSeconds(5), 3));
      killer.join();
      assertThat(r.failed()).isPositive();
      assertThat(r.errors().keySet()).anySatisfy(k -> assertThat(k).matches("(57P01|08006|08003).*"));
      // the sessions were reopened: most requests after the kill succeeded
      assertThat(r.completed()).isGreaterThan(r.scheduled() / 2);
      assertThat(r.completed() + r.failed() + r.unsent()).isEqualTo(r.scheduled());
    }
  }

  @Test
  void badInputIsRefusedWithOneLine(TestCluster cluster) throws Exception {
    assertThatThrownBy(() -> new LoadOptions(0, Duration.ofSeconds(5), NO_WARMUP, 1, Duration.ZERO, 1))
        .hasMessageContaining("rate must be above 0");
    assertThatThrownBy(() -> new LoadOptions(10, Duration.ofMillis(10), NO_WARMUP, 1, Duration.ZERO, 1))
        .hasMessageContaining("at least 1 s");
    assertThatThrownBy(() -> new LoadOptions(10, Duration.ofSeconds(5), NO_WARMUP, 0, Duration.ZERO, 1))
        .hasMessageContaining("clients must be between 1 and 1000");
    assertThatThrownBy(() -> WorkloadMix.of(Map.of())).hasMessageContaining("at least one statement");
    try (TestDatabase db = cluster.createDatabase()) {
      try (Connection c = db.connect()) {
        db.resetStatements();
        c.createStatement().execute("CREATE TABLE t (a int)");
      }
      // only the reset call and DDL: nothing a replay may run
      assertThatThrownBy(() -> mix(db)).isInstanceOf(IllegalStateException.class)
          .hasMessageMatching("(?s)(pg_stat_statements holds no read statements|none of the \\d+ read statements can be replayed).*");
    }
  }
}
