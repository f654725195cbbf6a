package dev.pgopt.advise.prove;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.advise.Finding;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.connect.Sql;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Statements whose generic plan runs slower than their own plans, measured on a real server. */
@ExtendWith(PostgresExtension.class)
class SlowGenericPlansIT {
  private static List<StatementEntry> workload(Connection c) throws Exception {
    return StatementCollector.read(c, Sql.one(c, "SELECT current_setting('server_version_num')::int", rs -> rs.getInt(1)),
        Clock.systemUTC()).entries();
  }

  @Test
  void theSampleDatasetsMessagesLookupBehindATenantIndexAndABrinIsFound(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      // the sample dataset's messages with indexes on project_id, created_at and a BRIN on created_at: one project holds
      // 30 % of the rows, rows arrive in time order. A hot project's own plan walks created_at backwards and stops
      // at the LIMIT; the generic plan ANDs both bitmaps and sorts all of the project's rows, and the server switches
      // to it because an ordinary project's own plan is estimated dearer
      db.execute("CREATE TABLE msgs (id int PRIMARY KEY, project int, created_at timestamptz, body text)",
          "INSERT INTO msgs SELECT g, CASE WHEN g % 20 < 6 THEN 1 WHEN g % 20 < 8 THEN 2 ELSE 3 + hashint4(g) & 4095 END,"
              + " timestamptz '2026-01-01' + g * interval '10 seconds', md5(g::text) FROM generate_series(1, 400000) g",
          "CREATE INDEX msgs_created_brin ON msgs USING brin (created_at)",
          "CREATE INDEX msgs_created_idx ON msgs (created_at)",
          // a quote and a semicolon in the most common value of a column a statement compares with: it travels as a literal
          "CREATE TABLE labels (id int, name text)",
          "INSERT INTO labels SELECT g, CASE WHEN g % 3 = 0 THEN 'x''); DROP TABLE labels; --' ELSE 'l' || g END"
              + " FROM generate_series(1, 30000) g",
          "CREATE INDEX labels_name_idx ON labels (name)", "VACUUM ANALYZE");
      db.resetStatements();
      try (Connection c = db.connect();
          PreparedStatement page = c.prepareStatement("SELECT id, body FROM msgs WHERE project = ? AND created_at < ?"
              + " ORDER BY created_at DESC LIMIT 50");
          PreparedStatement byId = c.prepareStatement("SELECT body FROM msgs WHERE id = ?");
          PreparedStatement label = c.prepareStatement("SELECT count(*) FROM labels WHERE name = ?");
          PreparedStatement sleepy = c.prepareStatement("SELECT body, pg_sleep(id * 0) FROM msgs WHERE id = ?")) {
        for (int i = 0; i < 10; i++) {
          page.setInt(1, i % 2 == 0 ? 1 : 100 + i);
          page.setObject(2, OffsetDateTime.parse("2026-03-01T00:00:00Z"));
          page.executeQuery().close();
          byId.setInt(1, i + 1);
          byId.executeQuery().close();
          label.setString(1, "l" + i);
          label.executeQuery().close();
          sleepy.setInt(1, i + 1);
          sleepy.executeQuery().close();
        }
      }
      try (Connection c = db.connect()) {
        // before it is built: a proof of an index on project, which the statement's own plans do not need and whose
        // bitmap the generic plan ANDs with the BRIN's, says so
        List<StatementEntry> workload = workload(c);
        StatementEntry pageEntry = workload.stream().filter(e -> e.query().startsWith("SELECT id, body FROM msgs")).findFirst().orElseThrow();
        Finding proposal = new Finding("index.missing:public.msgs(project)", "index.missing", Finding.Severity.INFO,
            new Finding.DbObject("public", "msgs", "msgs_project_idx", List.of("project")), "index on msgs (project)",
            Map.of("statements", List.of(Map.of("queryid", pageEntry.queryId(), "query", pageEntry.query()))), Map.of(),
            Finding.Confidence.WHAT_IF, new Finding.Action("CREATE INDEX CONCURRENTLY msgs_project_idx ON public.msgs (project);",
                "DROP INDEX CONCURRENTLY public.msgs_project_idx;", true, "SHARE UPDATE EXCLUSIVE", "low"));
        IndexProof.Result proof = IndexProof.prove(c, PlanGuard.strict(), List.of(proposal), workload, IndexProof.Options.DEFAULTS);
        assertThat(proof.notes()).anySatisfy(n -> assertThat(n).startsWith("prove: with the proposed indexes, queryid "
            + pageEntry.queryId() + " runs its calls in").contains("query.generic_plan_slower"));
        assertThat(proof.findings()).singleElement().satisfies(f -> assertThat(f.evidence().get("generic_plans").toString())
            .contains("slower=true"));
        assertThat(Sql.<Long>one(c, "SELECT count(*) FROM pg_indexes WHERE indexname = 'msgs_project_idx'", rs -> rs.getLong(1)))
            .isZero();
      }
      db.execute("CREATE INDEX msgs_project_idx ON msgs (project)", "ANALYZE msgs");
      try (Connection c = db.connect()) {
        String role = Sql.one(c, "SELECT current_user", rs -> rs.getString(1));
        SlowGenericPlans.Result r = SlowGenericPlans.check(c, PlanGuard.strict(), workload(c), SlowGenericPlans.Options.DEFAULTS);
        assertThat(r.findings()).as(r.notes().toString()).singleElement().satisfies(f -> {
          assertThat(f.rule()).isEqualTo("query.generic_plan_slower");
          assertThat(f.confidence()).isEqualTo(Finding.Confidence.MEASURED);
          assertThat(f.object().table()).isEqualTo("msgs");
          assertThat(f.evidence().get("query").toString()).startsWith("SELECT id, body FROM msgs WHERE project = $1");
          double custom = (double) f.evidence().get("custom_ms");
          double generic = (double) f.evidence().get("generic_ms");
          assertThat(generic).isGreaterThan(1.5 * custom);
          assertThat((double) f.evidence().get("sessions_switching")).isGreaterThanOrEqualTo(0.05);
          @SuppressWarnings("unchecked")
          List<Map<String, Object>> calls = (List<Map<String, Object>>) f.evidence().get("representative_calls");
          assertThat(calls.get(0).get("value").toString()).startsWith("the 1st most common value of public.msgs.project (");
          // values are data: the evidence names them by rank, never by value
          assertThat(f.toString()).doesNotContain("DROP TABLE");
          assertThat(f.action().sql()).isEqualTo("ALTER ROLE " + dev.pgopt.connect.Quoting.ident(role)
              + " SET plan_cache_mode = force_custom_plan;");
          assertThat(f.action().risk()).isEqualTo("medium");
        });
        assertThat(r.notes()).singleElement().satisfies(n -> assertThat(n)
            .contains("4 parameterized read statements run with their own and with their generic plans")
            .contains("pg_sleep"));
        assertThat(Sql.<Long>one(c, "SELECT count(*) FROM labels", rs -> rs.getLong(1))).isEqualTo(30000L);
        assertThat(Sql.<Long>one(c, "SELECT count(*) FROM pg_prepared_statements WHERE name = 'pgopt_generic_check'", rs -> rs.getLong(1))).isZero();
        assertThat(c.getAutoCommit()).isTrue();
      }
      // the index that serves every project alike: the generic plan is then the good one, and nothing is found
      db.execute("CREATE INDEX msgs_project_created_idx ON msgs (project, created_at)", "ANALYZE msgs");
      try (Connection c = db.connect()) {
        SlowGenericPlans.Result r = SlowGenericPlans.check(c, PlanGuard.strict(), workload(c), SlowGenericPlans.Options.DEFAULTS);
        assertThat(r.findings()).as(r.notes().toString()).isEmpty();
      }
    }
  }
}
