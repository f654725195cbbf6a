package dev.pgopt.advise.prove;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.advise.Finding;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.StatementCounters;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Proposed indexes measured for real, in a transaction that is rolled back. */
@ExtendWith(PostgresExtension.class)
class IndexProofIT {
  @BeforeAll
  static void data(TestDatabase db) {
    db.execute("CREATE TABLE orders (id int PRIMARY KEY, account int, placed timestamptz, note text)",
        "INSERT INTO orders SELECT g, g % 2000, now() - g * interval '1 minute', repeat('x', 100) FROM generate_series(1, 200000) g",
        // a trap for an index on b: a = 42 is the most common value, and its rows hold the largest b, so a scan in b
        // order expecting to meet a = 42 rows early (as the planner assumes the columns independent) reads every other
        // row first, each from a random heap page
        "CREATE TABLE trap (id int, a int, b int)",
        "INSERT INTO trap SELECT g, CASE WHEN g > 290000 THEN 42 ELSE g % 41 END,"
            + " CASE WHEN g > 290000 THEN 1000000 + g ELSE (hashint4(g) & 1048575) % 1000000 END FROM generate_series(1, 300000) g",
        // a second table whose index a statement also reads and is clearly faster with: a scan of 300,000 rows
        // against one index probe, so with that index alone the statement is never slower, whatever the noise
        "CREATE TABLE small (id int PRIMARY KEY, k int)",
        "INSERT INTO small SELECT g, g FROM generate_series(1, 300000) g",
        "VACUUM ANALYZE");
  }

  private static Finding proposal(String table, String index, String ddl, String query) {
    return new Finding("index.missing:public." + table, "index.missing", Finding.Severity.WARNING,
        new Finding.DbObject("public", table, index, List.of()), "index on " + table,
        Map.of("statements", List.of(Map.of("queryid", (long) query.hashCode(), "query", query))), Map.of(), Finding.Confidence.WHAT_IF,
        new Finding.Action(ddl, "DROP INDEX CONCURRENTLY public." + index + ";", true, "SHARE UPDATE EXCLUSIVE", "low"));
  }

  @Test
  void aProposalThatHelpsCarriesItsMeasuredTimesAndNothingStaysBehind(TestDatabase db) throws Exception {
    Finding f = proposal("orders", "orders_account_idx", "CREATE INDEX CONCURRENTLY orders_account_idx ON public.orders (account);",
        "SELECT id, placed FROM orders WHERE account = $1 ORDER BY placed DESC LIMIT $2");
    try (Connection c = db.connect()) {
      IndexProof.Result r = IndexProof.prove(c, PlanGuard.strict(), List.of(f), List.of(), IndexProof.Options.DEFAULTS);
      assertThat(r.findings()).singleElement().satisfies(p -> {
        assertThat(p.confidence()).isEqualTo(Finding.Confidence.MEASURED);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) ((List<Object>) ((Map<String, Object>) p.evidence().get("measured"))
            .get("statements")).get(0);
        assertThat((double) m.get("ms_with")).isLessThan((double) m.get("ms_without") / 3);
      });
      assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("1 statements measured"));
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_account_idx'")).isZero();
    }
  }

  @Test
  void aProposalThatMakesAStatementSlowerIsDropped(TestDatabase db) throws Exception {
    Finding trap = proposal("trap", "trap_b_idx", "CREATE INDEX CONCURRENTLY trap_b_idx ON public.trap (b);",
        "SELECT * FROM trap WHERE a = $1 ORDER BY b LIMIT 10");
    Finding other = new Finding("table.analyze:x", "table.analyze", Finding.Severity.INFO, new Finding.DbObject("public", "x", null, null),
        "unrelated", Map.of(), Map.of(), Finding.Confidence.HEURISTIC, null);
    try (Connection c = db.connect()) {
      // the planner does take the index for it: the estimate says it is far cheaper
      c.setAutoCommit(false);
      c.createStatement().execute("CREATE INDEX trap_b_idx ON trap (b)");
      assertThat(Probe.text(c, "EXPLAIN (FORMAT JSON) SELECT * FROM trap WHERE a = 42 ORDER BY b LIMIT 10")).contains("trap_b_idx");
      c.rollback();
      c.setAutoCommit(true);
      IndexProof.Result r = IndexProof.prove(c, PlanGuard.strict(), List.of(trap, other), List.of(), IndexProof.Options.DEFAULTS);
      assertThat(r.findings()).containsExactly(other);
      assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("dropped trap_b_idx").contains("ran"));
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE tablename = 'trap'")).isZero();
    }
  }

  @Test
  void whatTheAdvisorProposesInPlaceOfADroppedIndexIsMeasuredToo(TestDatabase db) throws Exception {
    String query = "SELECT * FROM trap WHERE a = $1 ORDER BY b LIMIT 10";
    Finding trap = proposal("trap", "trap_b_idx", "CREATE INDEX CONCURRENTLY trap_b_idx ON public.trap (b);", query);
    Finding both = new Finding("index.missing:public.trap(a,b)", "index.missing", Finding.Severity.WARNING,
        new Finding.DbObject("public", "trap", "trap_a_b_idx", List.of("a", "b")), "index on trap (a, b)",
        Map.of("statements", List.of(Map.of("queryid", (long) query.hashCode(), "query", query))), Map.of(),
        Finding.Confidence.WHAT_IF, new Finding.Action("CREATE INDEX CONCURRENTLY trap_a_b_idx ON public.trap (a, b);",
            "DROP INDEX CONCURRENTLY public.trap_a_b_idx;", true, "SHARE UPDATE EXCLUSIVE", "low"));
    java.util.List<java.util.Set<String>> asked = new java.util.ArrayList<>();
    try (Connection c = db.connect()) {
      IndexProof.Result r = IndexProof.prove(c, PlanGuard.strict(), List.of(trap), List.of(), IndexProof.Options.DEFAULTS,
          dropped -> {
            asked.add(dropped);
            // an advisor that ignored the exclusion would bring the dropped index back: it is not taken again
            return List.of(trap, both);
          });
      assertThat(asked).containsExactly(java.util.Set.of(trap.id()));
      assertThat(r.findings()).singleElement().satisfies(f -> {
        assertThat(f.object().index()).isEqualTo("trap_a_b_idx");
        assertThat(f.confidence()).isEqualTo(Finding.Confidence.MEASURED);
      });
      assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("dropped trap_b_idx"))
          .anySatisfy(n -> assertThat(n).contains("proposed in their place").contains("trap_a_b_idx"))
          .anySatisfy(n -> assertThat(n).contains("2 rounds").contains("up to 2 indexes"));
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE tablename = 'trap'")).isZero();
    }
  }

  @Test
  void ofTwoIndexesASlowerPlanReadsOnlyTheOneWhoseAbsenceHelpsIsDropped(TestDatabase db) throws Exception {
    // one statement reads both proposals: the trap on b and an index on small that helps its other branch; leaving
    // each out of the build in turn shows the index on b alone is to blame (the trap costs about 60 ms, the scan the
    // other index saves a few: the statement is slower with both, faster with small's alone, so neither verdict is
    // left to noise; with 20,000 rows in small its index saved nothing and a noisy run once dropped it too)
    String both = "SELECT id FROM (SELECT id FROM trap WHERE a = $1 ORDER BY b LIMIT 10) x"
        + " UNION ALL SELECT id FROM small WHERE k = $2";
    Finding trap = proposal("trap", "trap_b_idx", "CREATE INDEX CONCURRENTLY trap_b_idx ON public.trap (b);", both);
    Finding small = proposal("small", "small_k_idx",
        "CREATE INDEX CONCURRENTLY small_k_idx ON public.small (k);", "SELECT id FROM small WHERE k = $1");
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      c.createStatement().execute("CREATE INDEX trap_b_idx ON trap (b)");
      c.createStatement().execute("CREATE INDEX small_k_idx ON small (k)");
      assertThat(Probe.text(c, "EXPLAIN (FORMAT JSON) " + both.replace("$1", "42").replace("$2", "7")))
          .contains("trap_b_idx").contains("small_k_idx");
      c.rollback();
      c.setAutoCommit(true);
      // without parallel workers: their start-up made single runs of this 25 ms statement vary by a third
      c.createStatement().execute("SET max_parallel_workers_per_gather = 0");
      IndexProof.Result r = IndexProof.prove(c, PlanGuard.strict(), List.of(trap, small), List.of(), IndexProof.Options.DEFAULTS);
      assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("dropped trap_b_idx")
          .contains("without it alone, of the 2 proposed indexes its plan read, as fast as before"))
          .noneSatisfy(n -> assertThat(n).contains("dropped small_k_idx"));
      assertThat(r.findings()).singleElement().satisfies(f -> {
        assertThat(f.object().index()).isEqualTo("small_k_idx");
        assertThat(f.confidence()).isEqualTo(Finding.Confidence.MEASURED);
      });
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE indexname IN ('trap_b_idx', 'small_k_idx')")).isZero();
    }
  }

  private static StatementEntry workload(long queryId, String query, long calls, double totalMs, long rows) {
    return new StatementEntry(10, 1, queryId, true, "app", query, new StatementCounters(calls, totalMs, rows, 0, 0, 0, 0, 0, 0, 0));
  }

  @Test
  void aStatementTheProposalDoesNotClaimButMakesSlowerDropsItAndTheOthersAreMeasuredAgain(TestDatabase db) throws Exception {
    // the index on b helps its own statement; the workload's top statement, which it was not proposed for, falls
    // into the trap
    Finding trap = proposal("trap", "trap_b_idx", "CREATE INDEX CONCURRENTLY trap_b_idx ON public.trap (b);",
        "SELECT id FROM trap WHERE b = $1");
    Finding orders = proposal("orders", "orders_account_idx",
        "CREATE INDEX CONCURRENTLY orders_account_idx ON public.orders (account);", "SELECT id, placed FROM orders WHERE account = $1");
    List<StatementEntry> workload = List.of(
        workload(21, "SELECT * FROM trap WHERE a = $1 ORDER BY b LIMIT $2", 1000, 60_000, 10_000),
        workload(22, "SELECT count(*) FROM orders WHERE note = $1", 10, 5_000, 10),
        // no value for it: counted, not run
        workload(23, "SELECT id FROM orders WHERE account = abs($1)", 10, 4_000, 10),
        workload(24, "UPDATE orders SET note = $1 WHERE id = $2", 10, 3_000, 10),
        // pg_stat_statements text is from outside: a second statement is never run
        workload(25, "SELECT id FROM orders WHERE account = $1; DROP TABLE orders", 10, 2_000, 10));
    try (Connection c = db.connect()) {
      IndexProof.Result r = IndexProof.prove(c, PlanGuard.strict(), List.of(trap, orders), workload, IndexProof.Options.DEFAULTS);
      assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("dropped trap_b_idx: queryid 21 ran")
          .contains("a statement it was not proposed for"));
      assertThat(r.findings()).singleElement().satisfies(f -> {
        assertThat(f.object().index()).isEqualTo("orders_account_idx");
        assertThat(f.confidence()).isEqualTo(Finding.Confidence.MEASURED);
      });
      // two rounds: the second built the index on orders alone and found nothing slower
      assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("2 of the workload's 4 other read statements")
          .contains("queryid 23").contains("queryid 25"));
      assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("2 rounds").contains("1 of them not claimed"));
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE indexname IN ('trap_b_idx', 'orders_account_idx')")).isZero();
      assertThat(Probe.count(c, "SELECT count(*) FROM orders")).isEqualTo(200000);
    }
  }

  @Test
  void statementsWithoutValuesAreNotMeasuredAndALockedTableIsNotWaitedFor(TestDatabase db) throws Exception {
    Finding noValues = proposal("orders", "orders_account_idx", "CREATE INDEX CONCURRENTLY orders_account_idx ON public.orders (account);",
        "SELECT id FROM orders WHERE account = abs($1::int)");
    try (Connection c = db.connect()) {
      IndexProof.Result r = IndexProof.prove(c, PlanGuard.strict(), List.of(noValues), List.of(), IndexProof.Options.DEFAULTS);
      assertThat(r.findings()).containsExactly(noValues);
      assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("not measured").contains("$1"));
    }
    // statement texts come from pg_stat_statements: a second statement, or a function with side effects, is never run
    Finding hostile = proposal("orders", "orders_account_idx", "CREATE INDEX CONCURRENTLY orders_account_idx ON public.orders (account);",
        "SELECT id FROM orders WHERE account = $1; DROP TABLE orders");
    Finding sleeper = proposal("orders", "orders_account_idx", "CREATE INDEX CONCURRENTLY orders_account_idx ON public.orders (account);",
        "SELECT id FROM orders WHERE account = $1 AND pg_sleep(100) IS NOT NULL");
    try (Connection c = db.connect()) {
      for (Finding h : List.of(hostile, sleeper)) {
        IndexProof.Result r = IndexProof.prove(c, PlanGuard.strict(), List.of(h), List.of(), IndexProof.Options.DEFAULTS);
        assertThat(r.findings()).containsExactly(h);
        assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("not measured"));
      }
      assertThat(Probe.count(c, "SELECT count(*) FROM orders")).isEqualTo(200000);
    }
    Finding f = proposal("orders", "orders_account_idx", "CREATE INDEX CONCURRENTLY orders_account_idx ON public.orders (account);",
        "SELECT id FROM orders WHERE account = $1");
    try (Connection holder = db.connect(); Connection c = db.connect()) {
      holder.setAutoCommit(false);
      holder.createStatement().execute("LOCK TABLE orders IN ROW EXCLUSIVE MODE");
      IndexProof.Result r = IndexProof.prove(c, PlanGuard.strict(), List.of(f), List.of(),
          new IndexProof.Options(3, Duration.ofMillis(300), Duration.ofSeconds(30), Duration.ofMinutes(5), 1L << 30, 50));
      assertThat(r.findings()).containsExactly(f);
      assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("lock timeout"));
      holder.rollback();
    }
    // a table above the size limit is not built on
    try (Connection c = db.connect()) {
      IndexProof.Result r = IndexProof.prove(c, PlanGuard.strict(), List.of(f), List.of(),
          new IndexProof.Options(3, Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofMinutes(5), 1L << 20, 50));
      assertThat(r.findings()).containsExactly(f);
      assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("above the 1 MB"));
    }
  }
}
