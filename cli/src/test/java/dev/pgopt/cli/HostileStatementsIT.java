package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestDatabase;
import java.io.File;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The review's attacks on the commands that plan SQL from outside: a second statement after ';' and a function that
 * planning would run (an IMMUTABLE plpgsql function that terminates a "victim" session), from the command line and from
 * pg_stat_statements. Nothing runs; the user gets one line and exit 64, or a note naming the function.
 */
@ExtendWith(PostgresExtension.class)
class HostileStatementsIT {
  @TempDir
  Path home;

  private Connection victim;

  @BeforeAll
  static void schema(TestDatabase db) {
    db.execute(
        "CREATE TABLE keepme (id int)",
        "CREATE TABLE items (id int, owner int, pad text)",
        "INSERT INTO items SELECT g, g % 500, repeat('x', 40) FROM generate_series(1, 50000) g",
        "CREATE FUNCTION evil(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $f$BEGIN "
            + "PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'; RETURN $1; END$f$",
        "CREATE VIEW evil_items AS SELECT id, owner, evil(1) AS e FROM items",
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

  private void assertUnharmed(TestDatabase db) throws SQLException {
    assertThat(Probe.count(victim, "SELECT 1")).as("the victim session was terminated").isEqualTo(1);
    try (Connection c = db.connect()) {
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_class WHERE relname = 'keepme'")).isEqualTo(1);
    }
  }

  private CliRun run(String... args) {
    return CliRun.of(Map.of(), home, args);
  }

  @Test
  void explainRefusesEverySecondStatement(TestDatabase db) throws Exception {
    for (String sql : new String[] {"SELECT 1; COMMIT; DROP TABLE keepme",
        "SELECT 1; COPY (SELECT 1) TO PROGRAM 'id > /tmp/pgopt-hostile-it'",
        "SELECT 1; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'"}) {
      for (String[] extra : new String[][] {{}, {"--analyze"}}) {
        String[] args = new String[3 + extra.length + 1];
        args[0] = "explain";
        args[1] = "--url";
        args[2] = db.url();
        System.arraycopy(extra, 0, args, 3, extra.length);
        args[args.length - 1] = sql;
        CliRun r = run(args);
        assertThat(r.exitCode()).as(r.all()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err().strip()).contains("exactly one statement").doesNotContain("\n").doesNotContain("Exception");
      }
    }
    assertThat(new File("/tmp/pgopt-hostile-it")).doesNotExist();
    assertUnharmed(db);
  }

  @Test
  void explainRefusesUserFunctionsUnlessAllowed(TestDatabase db) throws Exception {
    CliRun refused = run("explain", "--url", db.url(), "SELECT * FROM evil_items WHERE owner = 3");
    assertThat(refused.exitCode()).as(refused.all()).isEqualTo(ExitCode.USAGE);
    assertThat(refused.err()).contains("public.evil()").contains("--allow-user-functions");
    CliRun analyze = run("explain", "--url", db.url(), "--analyze",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'");
    assertThat(analyze.exitCode()).as(analyze.all()).isEqualTo(ExitCode.USAGE);
    assertThat(analyze.err()).contains("pg_terminate_backend");
    assertUnharmed(db);
    CliRun allowed = run("explain", "--url", db.url(), "--allow-user-functions", "SELECT * FROM evil_items WHERE owner = 3");
    assertThat(allowed.exitCode()).as(allowed.all()).isZero();
    assertThat(allowed.err()).contains("note:").contains("public.evil()");
  }

  @Test
  void adviseSkipsWorkloadStatementsThatWouldRunAFunctionAndSaysWhich(TestDatabase db) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("SELECT pg_stat_statements_reset()");
      for (int i = 0; i < 20; i++) {
        s.executeQuery("SELECT * FROM evil_items WHERE owner = " + i).close();
        s.executeQuery("SELECT * FROM items WHERE owner = " + i).close();
      }
    }
    connectVictim(db);
    CliRun r = run("advise", "--url", db.url(), "--format", "json");
    assertThat(r.exitCode()).as(r.all()).isIn(ExitCode.OK, 1, 2);
    JsonNode advice = new ObjectMapper().readTree(r.out());
    assertThat(advice.get("notes").toString()).contains("public.evil()");
    // the harmless statement is still advised on
    assertThat(advice.get("findings").toString()).contains("SELECT * FROM items WHERE owner = $1");
    assertUnharmed(db);
  }
}
