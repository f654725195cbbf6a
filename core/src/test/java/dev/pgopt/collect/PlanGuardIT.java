package dev.pgopt.collect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Hostile statements against a real server: nothing after a ';' runs, and no function that planning would evaluate
 * runs unless the user opted in. The harm is real: an IMMUTABLE plpgsql function that terminates a "victim" session,
 * planted where planning reaches it without being named (a default, a view, an index expression, an operator).
 */
@ExtendWith(PostgresExtension.class)
class PlanGuardIT {
  private static final String KILL = "PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim';";

  private Connection victim;

  @BeforeAll
  static void schema(TestDatabase db) {
    db.execute(
        "CREATE TABLE keepme (id int)",
        "CREATE TABLE t (id int, x int)",
        "INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g",
        "CREATE FUNCTION evil(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $f$BEGIN " + KILL + " RETURN $1; END$f$",
        "CREATE FUNCTION evil_now() RETURNS int IMMUTABLE LANGUAGE plpgsql AS $f$BEGIN " + KILL + " RETURN 1; END$f$",
        "CREATE FUNCTION evil_op(int, int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $f$BEGIN " + KILL + " RETURN $1; END$f$",
        "CREATE FUNCTION harmless(int) RETURNS int VOLATILE LANGUAGE plpgsql AS $f$BEGIN RETURN $1; END$f$",
        "CREATE OPERATOR ### (LEFTARG = int, RIGHTARG = int, FUNCTION = evil_op)",
        "CREATE TABLE with_default (id int, x int DEFAULT evil(7))",
        "CREATE VIEW evil_view AS SELECT id, evil(1) AS e FROM t",
        "CREATE VIEW over_view AS SELECT * FROM evil_view",
        // ANALYZE evaluates index expressions: an auto-analyze of this table would run evil_now() and end the
        // victim's session at a moment no test chose (it did, once, in CI)
        "CREATE TABLE indexed (id int, x int) WITH (autovacuum_enabled = false)",
        "INSERT INTO indexed SELECT g, g FROM generate_series(1, 1000) g",
        "CREATE INDEX indexed_expr ON indexed ((x + evil_now()))",
        "CREATE TABLE \"Quoted\" (id int)",
        "CREATE EXTENSION IF NOT EXISTS dblink",
        "CREATE SEQUENCE s",
        "ANALYZE");
  }

  @BeforeEach
  void connectVictim(TestDatabase db) throws SQLException {
    victim = db.connect("victim");
  }

  @AfterEach
  void closeVictim() throws SQLException {
    victim.close();
  }

  private void assertVictimAlive() throws SQLException {
    assertThat(Probe.count(victim, "SELECT 1")).as("the victim session was terminated").isEqualTo(1);
  }

  /** Plans {@code sql} as pgopt does: read-only, rolled back. */
  private static String plan(TestDatabase db, PlanGuard guard, String sql, boolean analyze) throws SQLException {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      c.setReadOnly(true);
      try {
        return PlanCollector.explain(c, guard, sql, 150000, analyze).root().nodeType();
      } finally {
        c.rollback();
      }
    }
  }

  private static String refusal(TestDatabase db, String sql, boolean analyze) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> plan(db, PlanGuard.strict(), sql, analyze));
    assertThat(t).as(sql).isInstanceOf(StatementRefused.class);
    return t.getMessage();
  }

  @Test
  void nothingAfterASemicolonReachesTheServer(TestDatabase db) throws Exception {
    for (String sql : new String[] {
        "SELECT 1; COMMIT; DROP TABLE keepme",
        "SELECT 1; COPY (SELECT 1) TO PROGRAM 'touch /tmp/pgopt-guard-it'",
        "SELECT 1; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'",
        "SELECT 'a\\'; DROP TABLE keepme; --'",
        "SELECT $$x$$; DROP TABLE keepme",
        "SELECT 1 /* c */; /* */ DROP TABLE keepme",
        "SELECT 1;\nDROP TABLE keepme;",
        "SELECT \"a;\"\"\" FROM t; DROP TABLE keepme"}) {
      assertThat(refusal(db, sql, false)).as(sql).contains("exactly one statement");
    }
    assertThat(new java.io.File("/tmp/pgopt-guard-it")).doesNotExist();
    assertVictimAlive();
    try (Connection c = db.connect()) {
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_class WHERE relname = 'keepme'")).isEqualTo(1);
    }
  }

  @Test
  void semicolonsInsideLiteralsCommentsAndQuotesAreOneStatement(TestDatabase db) throws Exception {
    PlanGuard guard = PlanGuard.strict();
    assertThat(plan(db, guard, "SELECT ';' AS a, $q$;$q$ AS b, E'\\';' AS c, id AS \";\" FROM t -- ;\n;", false)).isNotBlank();
    // PostgreSQL nests block comments: the DROP is inside the comment, so this is one statement
    assertThat(plan(db, guard, "/* /* */ ; DROP TABLE keepme */ SELECT 1", false)).isNotBlank();
    // and the driver nests them too: it must not split off what the server reads as a comment
    assertThat(plan(db, guard, "/* /* */ ; DROP TABLE keepme; SELECT 1 */ SELECT 1", false)).isNotBlank();
    assertThat(plan(db, guard, "SELECT 1;;", false)).isNotBlank();
    try (Connection c = db.connect()) {
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_class WHERE relname = 'keepme'")).isEqualTo(1);
    }
    assertThat(refusal(db, "  ;  ", false)).contains("no statement");
    assertThat(refusal(db, "SELECT 'unclosed", false)).contains("not closed");
    assertThat(refusal(db, "SELECT 1 /* /* */", false)).contains("not closed");
    assertThat(refusal(db, "SELECT * FROM U&\"d\\0061ta\"", false)).contains("Unicode-escaped");
  }

  @Test
  void onlyStatementsEXPLAINAcceptsArePlanned(TestDatabase db) {
    assertThat(refusal(db, "COPY t TO PROGRAM 'id'", false)).contains("not 'COPY'");
    assertThat(refusal(db, "EXPLAIN ANALYZE SELECT 1", false)).contains("not 'EXPLAIN'");
    assertThat(refusal(db, "CREATE TABLE x (a int)", false)).contains("not 'CREATE'");
    assertThat(refusal(db, "DELETE FROM keepme", true)).contains("--analyze");
  }

  @Test
  void userFunctionsThatPlanningWouldRunAreRefusedWithTheirName(TestDatabase db) throws Exception {
    assertThat(refusal(db, "SELECT evil(1)", false)).contains("public.evil()").contains("--allow-user-functions");
    assertThat(refusal(db, "SELECT \"evil\"(1)", false)).contains("public.evil()");
    assertThat(refusal(db, "INSERT INTO with_default (id) VALUES (1)", false)).contains("public.evil()")
        .contains("through with_default");
    assertThat(refusal(db, "SELECT * FROM evil_view WHERE id = 3", false)).contains("public.evil()");
    assertThat(refusal(db, "SELECT * FROM over_view", false)).contains("public.evil()").contains("through over_view");
    assertThat(refusal(db, "SELECT * FROM indexed WHERE x + 1 = $1", false)).contains("public.evil_now()");
    assertThat(refusal(db, "SELECT 1 ### 2", false)).contains("public.evil_op()").contains("operator ###");
    // schema-qualified names are the same functions, views and operators (a '.' once hid the name after it)
    assertThat(refusal(db, "SELECT public.evil(1)", false)).contains("public.evil()");
    assertThat(refusal(db, "SELECT t.x FROM t WHERE public . evil(t.x) = 1", false)).contains("public.evil()");
    assertThat(refusal(db, "SELECT * FROM public.\"evil_view\" WHERE id = 3", false)).contains("public.evil()");
    assertThat(refusal(db, "SELECT 1 OPERATOR(public.###) 2", false)).contains("public.evil_op()");
    assertThat(refusal(db, "SELECT 1.5e3evil(1)", false)).contains("public.evil()");
    assertThat(refusal(db, "SELECT * FROM t WHERE x::text = table_to_xml('t', true, true, '')::text", false))
        .contains("table_to_xml").contains("runs SQL of its own");
    assertVictimAlive();
    // a VOLATILE function is not run by planning, names in literals and comments are not calls
    assertThat(plan(db, PlanGuard.strict(), "SELECT harmless(x), 'evil(1)' /* evil(1) */ FROM t", false)).isNotBlank();
    assertThat(plan(db, PlanGuard.strict(), "SELECT * FROM \"Quoted\"", false)).isNotBlank();
    assertVictimAlive();
  }

  @Test
  void theOptInPlansAndNamesTheFunction(TestDatabase db) throws Exception {
    PlanGuard guard = PlanGuard.allowingUserFunctions();
    assertThat(plan(db, guard, "SELECT * FROM evil_view WHERE id = 3", false)).isNotBlank();
    assertThat(guard.notes()).singleElement().asString().contains("public.evil()").contains("opt-in");
    // the harm the refusals prevent is real: planning ran the function, which ended the victim's session
    assertThatThrownBy(() -> Probe.count(victim, "SELECT 1")).isInstanceOf(SQLException.class);
    // built-ins that run SQL stay refused whatever the opt-in says
    assertThatThrownBy(() -> plan(db, guard, "SELECT table_to_xml('t', true, true, '')", false))
        .isInstanceOf(StatementRefused.class);
  }

  @Test
  void analyzeRunsOnlyFunctionsFreeOfSideEffects(TestDatabase db) throws Exception {
    String[] refused = {
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'",
        "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'",
        "SELECT pg_reload_conf()",
        "SELECT pg_rotate_logfile()",
        "SELECT pg_advisory_lock(42)",
        "SELECT pg_try_advisory_xact_lock(42)",
        "SELECT * FROM dblink('dbname=postgres', 'SELECT 1') AS r(a int)",
        "SELECT set_config('work_mem', '1GB', false)",
        "SELECT pg_sleep(100)",
        "SELECT pg_catalog.pg_sleep(100)",
        "SELECT * FROM public.evil_view",
        "SELECT nextval('s')",
        "SELECT harmless(1)",
        "SELECT evil(1)",
        "SELECT * FROM evil_view"};
    for (String sql : refused) {
      assertThat(refusal(db, sql, true)).as(sql).contains("running it may call");
    }
    assertVictimAlive();
    PlanGuard guard = PlanGuard.allowingUserFunctions();
    assertThatThrownBy(() -> plan(db, guard, "SELECT evil(1)", true)).as("the opt-in does not cover ANALYZE")
        .isInstanceOf(StatementRefused.class);
    assertThat(plan(db, PlanGuard.strict(), "SELECT count(*), max(x), random(), now(), lower('A') FROM t WHERE x > 10", true))
        .isEqualTo("Aggregate");
    assertVictimAlive();
  }

  @Test
  void whatIsSentIsTheStatementWithoutItsTrailingSemicolon(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      PlanGuard guard = PlanGuard.strict();
      assertThat(guard.admit(c, "SELECT id FROM t WHERE x = 1; -- done", false)).isEqualTo("SELECT id FROM t WHERE x = 1");
      c.rollback();
    }
  }

  @Test
  void aStatementThatFailsToPlanLeavesNoPreparedStatementBehind(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      PlanGuard guard = PlanGuard.strict();
      PlanCollector.Attempt failed = PlanCollector.attempt(c, guard, "SELECT * FROM t WHERE x = $1 AND no_such = $2", 150000, false);
      assertThat(failed.planned()).isFalse();
      PlanCollector.Attempt fine = PlanCollector.attempt(c, guard, "SELECT * FROM t WHERE x = $1", 150000, true);
      assertThat(fine.planned()).isTrue();
      assertThatThrownBy(() -> PlanCollector.explain(c, guard, "SELECT * FROM t WHERE no_such = $1", 150000, false))
          .isInstanceOf(SQLException.class);
      // PREPARE outlives a rollback: a long-lived session (the monitor's) must not collect one per failure
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_prepared_statements")).isZero();
      c.rollback();
    }
  }
}
