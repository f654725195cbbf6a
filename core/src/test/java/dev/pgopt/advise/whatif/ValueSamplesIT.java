package dev.pgopt.advise.whatif;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.collect.PlanCollector;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Which statements get representative values, and that a value from the data reaches the planner as data only. */
@ExtendWith(PostgresExtension.class)
class ValueSamplesIT {
  // values an attacker could have stored: they must end up as one literal, never as SQL
  static final String HOSTILE = "x$pgopt$'); SELECT pg_sleep(100); --";
  static final String HOSTILE_TOO = "$pgopt1$\\' $pgopt$";

  @BeforeAll
  static void data(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE events (id int, tenant int, even int, tag text, created_at timestamptz)",
        "CREATE TABLE notes (id int, tenant int, body text)",
        "CREATE TABLE statuses (id int, status text)");
    try (Connection c = db.connect();
         PreparedStatement ps = c.prepareStatement("INSERT INTO events SELECT g, CASE WHEN g % 20 < 6 THEN 0"
             + " WHEN g % 20 < 9 THEN 1 ELSE 2 + g % 4998 END, g % 100,"
             + " CASE WHEN g % 10 < 4 THEN ? WHEN g % 10 < 6 THEN ? ELSE 't' || g % 3000 END, now()"
             + " FROM generate_series(1, 100000) g")) {
      ps.setString(1, HOSTILE);
      ps.setString(2, HOSTILE_TOO);
      ps.execute();
    }
    db.execute("INSERT INTO notes SELECT g, g % 100, 'n' FROM generate_series(1, 10000) g",
        "INSERT INTO statuses SELECT g, CASE WHEN g % 10 = 0 THEN 'deleted' ELSE 'active' END FROM generate_series(1, 10000) g",
        "ANALYZE");
  }

  @Test
  void aSkewedColumnComparedWithAParameterGetsItsMostCommonValues(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      ValueSamples values = new ValueSamples(c);
      ValueSamples.Plan plan = values.of("SELECT * FROM events WHERE tenant = $1 ORDER BY created_at DESC LIMIT $2",
          Set.of("public.events"));
      // tenants 0 and 1 are hot; the third most common is as rare as the rest and not worth a plan
      assertThat(plan.samples()).hasSize(2);
      assertThat(plan.samples().get(0).sql()).contains("tenant = $pgopt$0$pgopt$").contains("LIMIT $2");
      assertThat(plan.samples().get(0).weight()).isBetween(0.25, 0.35);
      assertThat(plan.genericWeight()).isBetween(0.5, 0.6);
      assertThat(plan.described()).contains("2 most common values of tenant").doesNotContain("$pgopt$");
      // the same from the other side of =, qualified by the table's name
      assertThat(values.of("SELECT * FROM events WHERE $1 = events.tenant", Set.of("public.events")).samples()).hasSize(2);
      // a status column where one value is nine rows in ten
      assertThat(values.of("SELECT * FROM statuses WHERE status = $1", Set.of("public.statuses")).samples())
          .first().satisfies(s -> assertThat(s.weight()).isBetween(0.85, 0.95));
    }
  }

  @Test
  void aRangeAParameterBoundsIsCostedAtTheColumnsQuartilesWhenNoHotKeyDecides(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      ValueSamples values = new ValueSamples(c);
      ValueSamples.Plan plan = values.of("SELECT * FROM notes WHERE tenant = $1 AND id < $2 ORDER BY id DESC LIMIT 10",
          Set.of("public.notes"));
      assertThat(plan.source()).isEqualTo(ValueSamples.Source.RANGE_QUARTILES);
      assertThat(plan.samples()).hasSize(3).allSatisfy(s -> assertThat(s.weight()).isEqualTo(0.25));
      assertThat(plan.genericWeight()).isCloseTo(0.25, org.assertj.core.data.Offset.offset(1e-9));
      // the quartiles of id (1..10000): the literal replaces $2 only
      int[] expected = {2500, 5000, 7500};
      for (int k = 0; k < 3; k++) {
        String sql = plan.samples().get(k).sql();
        assertThat(sql).contains("tenant = $1").contains("LIMIT 10");
        int v = Integer.parseInt(sql.replaceAll(".*id < \\$pgopt\\$(\\d+)\\$pgopt\\$.*", "$1"));
        assertThat(v).isBetween(expected[k] - 600, expected[k] + 600);
      }
      assertThat(plan.described()).contains("quartiles of id");
      // the other side, and >=
      assertThat(values.of("SELECT * FROM notes WHERE $1 >= id", Set.of("public.notes")).source())
          .isEqualTo(ValueSamples.Source.RANGE_QUARTILES);
      // a hot key decides first: tenant is skewed in events
      assertThat(values.of("SELECT * FROM events WHERE tenant = $1 AND id > $2", Set.of("public.events")).source())
          .isEqualTo(ValueSamples.Source.HOT_VALUES);
      // no histogram (one value everywhere), or an expression: the generic plan alone
      assertThat(values.of("SELECT * FROM events WHERE created_at > $1", Set.of("public.events"))).isSameAs(ValueSamples.Plan.GENERIC);
      assertThat(values.of("SELECT * FROM notes WHERE id < $1 + 5", Set.of("public.notes"))).isSameAs(ValueSamples.Plan.GENERIC);
      // every variant plans
      c.setAutoCommit(false);
      for (ValueSamples.Sample s : plan.samples()) {
        assertThat(PlanCollector.attempt(c, PlanGuard.strict(), s.sql(), 150000, false).error()).isNull();
      }
      c.rollback();
    }
  }

  @Test
  void evenColumnsAmbiguousNamesExpressionsAndWritesKeepTheGenericPlan(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      ValueSamples values = new ValueSamples(c);
      assertThat(values.of("SELECT * FROM events WHERE even = $1", Set.of("public.events"))).isSameAs(ValueSamples.Plan.GENERIC);
      // tenant is a column of both tables, and e is no table's name
      assertThat(values.of("SELECT * FROM events e JOIN notes n ON n.id = e.id WHERE tenant = $1",
          Set.of("public.events", "public.notes"))).isSameAs(ValueSamples.Plan.GENERIC);
      assertThat(values.of("SELECT * FROM events WHERE tenant = $1 + 1", Set.of("public.events"))).isSameAs(ValueSamples.Plan.GENERIC);
      assertThat(values.of("SELECT * FROM events WHERE abs(tenant) = $1", Set.of("public.events")).samples()).isEmpty();
      assertThat(values.of("UPDATE events SET tag = $1 WHERE tenant = $2", Set.of("public.events"))).isSameAs(ValueSamples.Plan.GENERIC);
      assertThat(values.of("SELECT * FROM events WHERE tenant = 0", Set.of("public.events"))).isSameAs(ValueSamples.Plan.GENERIC);
    }
  }

  @Test
  void everyParameterGetsAValueOrTheStatementIsNotRun(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      ParameterValues values = new ParameterValues(c);
      ParameterValues.Bound b = values.bind("SELECT id FROM events WHERE tenant = $1 AND created_at >= date $2"
          + " AND created_at < date $3 + interval $4 day AND abs($6) > 0 ORDER BY id LIMIT $7 OFFSET $8",
          Set.of("public.events"), 25);
      assertThat(b.problem()).as(b.sql()).isNotNull().contains("$6");
      b = values.bind("SELECT id FROM events WHERE tenant IN ($1, $2) AND tag LIKE $3 AND created_at >= date $4"
          + " AND created_at < date $5 + interval $6 day AND extract($7 from created_at) > 0 ORDER BY id LIMIT $8 OFFSET $9",
          Set.of("public.events"), 25);
      assertThat(b.problem()).isNull();
      // an IN list's parameters take the most common values in turn, as an application sends different ones
      assertThat(b.sql()).contains("tenant IN ($pgopt$0$pgopt$, $pgopt$1$pgopt$)").contains("interval '1' day")
          .contains("extract('year' from").contains("LIMIT 25 OFFSET 0").doesNotContainPattern("(?<![a-z0-9])\\$[0-9]");
      // it runs; LIKE searches for the longest word of the hostile most common tag, as one literal
      assertThat(b.sql()).contains("LIKE $pgopt$%SELECT%$pgopt$");
      assertThat(ParameterValues.longestWord("lavender spring chocolate lace")).isEqualTo("chocolate");
      assertThat(ParameterValues.longestWord("%_!")).isEmpty();
      Probe.count(c, "SELECT count(*) FROM (" + b.sql() + ") x");
      assertThat(values.bind("SELECT id FROM events WHERE tenant = abs($1)", Set.of("public.events"), 10).problem())
          .contains("$1");
      // TPC-H Q6's and Q7's ranges: a value with a margin around it, and typed bounds of a BETWEEN
      b = values.bind("SELECT count(*) FROM events WHERE tenant BETWEEN $1 - $2 AND $3 + $4 AND id < $5 * $6"
          + " AND created_at BETWEEN date $7 AND date $8", Set.of("public.events"), 10);
      assertThat(b.problem()).isNull();
      assertThat(b.sql()).containsPattern("BETWEEN ([0-9]+) - 0 AND \\1 \\+ 0").containsPattern("id < [0-9]+ \\* 1").doesNotContain("$8");
      Probe.count(c, "SELECT count(*) FROM (" + b.sql() + ") x");
      // operands of the SELECT list's expressions (TPC-H Q5, Q8, Q14, Q22) and NOT LIKE (Q13)
      b = values.bind("SELECT $1 * sum(CASE WHEN tag NOT LIKE $2 THEN id * ($3 - tenant) ELSE $4 END) / $5,"
          + " substring(tag FROM $6 FOR $7) FROM events WHERE tag NOT LIKE $8 GROUP BY 2", Set.of("public.events"), 10);
      assertThat(b.problem()).isNull();
      assertThat(b.sql()).startsWith("SELECT 1 * sum(CASE WHEN tag NOT LIKE $pgopt").contains("id * (1 - tenant) ELSE 0 END) / 1")
          .contains("substring(tag FROM 1 FOR 1)");
      Probe.count(c, "SELECT count(*) FROM (" + b.sql() + ") x");
    }
  }

  @Test
  void aColumnIsFoundThroughItsAliasAndAFunctionOfOneColumnIsComputed(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      ParameterValues values = new ParameterValues(c);
      // TPC-H Q8: the outer query compares the alias of a derived table's column
      ParameterValues.Bound b = values.bind("SELECT sum(CASE WHEN who = $1 THEN id ELSE $2 END) FROM"
          + " (SELECT e.tenant AS who, e.id FROM events e WHERE e.even < $3) AS d", Set.of("public.events"), 10);
      assertThat(b.problem()).isNull();
      assertThat(b.sql()).contains("who = $pgopt$0$pgopt$");
      Probe.count(c, "SELECT count(*) FROM (" + b.sql() + ") x");
      // TPC-H Q22: a built-in function of one column compared with an IN list gets the function's frequent results
      b = values.bind("SELECT count(*) FROM events WHERE substring(tag FROM $1 FOR $2) IN ($3, $4, $5)"
          + " AND lower(events.tag) = $6", Set.of("public.events"), 10);
      assertThat(b.problem()).as(b.sql()).isNull();
      // the three first letters, each once (x and t 40 % each, $ 20 %), and the hostile value lowered, as one literal
      assertThat(b.sql()).containsPattern("substring\\(tag FROM 1 FOR 1\\) IN \\(\\$pgopt\\$[xt]\\$pgopt\\$,"
          + " \\$pgopt\\$[xt]\\$pgopt\\$, \\$pgopt\\$\\$\\$pgopt\\$\\)")
          .contains("$pgopt$x$pgopt$").contains("$pgopt$t$pgopt$");
      assertThat(Probe.count(c, b.sql())).as(b.sql()).isEqualTo(40_000);
      b = values.bind("SELECT count(*) FROM events WHERE date_trunc('day', created_at) = $1", Set.of("public.events"), 10);
      assertThat(Probe.count(c, b.sql())).as(b.sql()).isEqualTo(100_000);
      // a function pgopt does not know is not evaluated to find values (it could be the user's, or pg_sleep)
      assertThat(values.bind("SELECT id FROM events WHERE pg_sleep(tenant)::text = $1", Set.of("public.events"), 10)
          .problem()).contains("$1");
      assertThat(values.bind("SELECT id FROM events WHERE md5(tag) IN ($1, $2)", Set.of("public.events"), 10)
          .problem()).contains("$1");
      // nor one with an operator other than arithmetic, a cast, an escaped literal or two columns among its arguments
      assertThat(values.bind("SELECT id FROM events WHERE lower(tag || 'x') = $1", Set.of("public.events"), 10)
          .problem()).contains("$1");
      assertThat(values.bind("SELECT id FROM events WHERE abs(tenant::int) = $1", Set.of("public.events"), 10)
          .problem()).contains("$1");
      assertThat(values.bind("SELECT id FROM events WHERE abs(tenant - even) = $1", Set.of("public.events"), 10)
          .problem()).contains("$1");
      assertThat(values.bind("SELECT id FROM events WHERE left(tag, E'\\x31') = $1", Set.of("public.events"), 10)
          .problem()).contains("$1");
    }
  }

  @Test
  void valuesFromTheDataArePlannedAsLiteralsWhateverTheyHold(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      ValueSamples.Plan plan = new ValueSamples(c).of("SELECT id FROM events WHERE tag = $1 AND id > $2", Set.of("public.events"));
      // two hot values; the third most common is as rare as the rest and not worth a plan
      assertThat(plan.samples()).hasSize(2);
      for (ValueSamples.Sample s : plan.samples()) {
        PlanCollector.Attempt attempt = PlanCollector.attempt(c, PlanGuard.strict(), s.sql(), 150000, false);
        assertThat(attempt.error()).as(s.sql()).isNull();
        // the planner estimated the rows of the value itself: 40 % and 20 % of 100,000 (times a third for id > $2)
        assertThat(attempt.plan().root().planRows()).as(s.sql()).isGreaterThan(5_000);
      }
      c.rollback();
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(100)%' AND pid <> pg_backend_pid()"))
          .isZero();
    }
    assertThat(ValueSamples.literal("a$pgopt$b")).isEqualTo("$pgopt1$a$pgopt$b$pgopt1$");
    assertThat(ValueSamples.literal("ends with $pgopt")).isEqualTo("$pgopt1$ends with $pgopt$pgopt1$");
    assertThat(ValueSamples.literal("")).isEqualTo("$pgopt$$pgopt$");
  }
}
