package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.pgopt.local.FreePort;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class CheckCommandIT {
  private static final String SECRET = "Sup3r-Secret-Pw";
  @TempDir
  Path home;

  private CliRun run(String... args) {
    return CliRun.of(Map.of(), home, args);
  }

  /** Bad input: exit 3, one line naming what and where, no stack trace, no password anywhere. */
  private static void assertOneLineFailure(CliRun r, String expected, String secret) {
    assertThat(r.exitCode()).as(r.all()).isEqualTo(ExitCode.UNKNOWN);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip()).startsWith("pgopt: ").contains(expected).doesNotContain("\n").doesNotContain("\tat ");
    assertThat(r.all()).doesNotContain(secret);
  }

  @Test
  void malformedUrl() {
    assertOneLineFailure(run("check", "--url", "postgres://app:" + SECRET + "@db.example.com:99999/app"), "invalid port", SECRET);
    assertOneLineFailure(run("check", "--url", "postgres://app:" + SECRET + "@db/app?sslmode=bogus"), "invalid sslmode", SECRET);
  }

  @Test
  void unknownHost() {
    assertOneLineFailure(run("check", "--url", "postgres://app:" + SECRET + "@no-such-host.invalid/app"), "cannot resolve host 'no-such-host.invalid'", SECRET);
  }

  @Test
  void closedPort() {
    int port = FreePort.find();
    assertOneLineFailure(run("check", "--url", "postgres://app:" + SECRET + "@127.0.0.1:" + port + "/app"), "cannot reach 127.0.0.1:" + port, SECRET);
  }

  @Test
  void wrongPassword(TestCluster cluster, TestDatabase db) {
    CliRun r = run("check", "--url", "postgres://" + cluster.superuser() + ":" + SECRET + "@127.0.0.1:" + cluster.port() + "/" + db.name());
    assertOneLineFailure(r, "password authentication failed for user '" + cluster.superuser() + "'", SECRET);
    assertThat(r.err()).contains("postgres://" + cluster.superuser() + ":****@127.0.0.1:" + cluster.port());
  }

  @Test
  void aPasswordFileOthersCanReadIsIgnoredAndAMissingPasswordSaysWhereItWasLookedFor(TestCluster cluster, TestDatabase db)
      throws Exception {
    Path open = home.resolve("open-pgpass");
    Files.writeString(open, "*:*:*:" + cluster.superuser() + ":" + cluster.password() + "\n");
    Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    // pgjdbc reads a password file by itself (from this property, PGPASSFILE or ~/.pgpass) when it is given no password
    String before = System.getProperty("org.postgresql.pgpassfile");
    System.setProperty("org.postgresql.pgpassfile", open.toString());
    try {
      CliRun r = CliRun.of(Map.of("PGPASSFILE", open.toString()), home,
          "check", "--url", "postgres://" + cluster.superuser() + "@127.0.0.1:" + cluster.port() + "/" + db.name());
      assertOneLineFailure(r, "asks user '" + cluster.superuser() + "' for a password and pgopt has none", cluster.password());
      assertThat(r.err()).contains("looked in the URL, PGPASSWORD and " + open).contains("group or world access");
    } finally {
      if (before == null) {
        System.clearProperty("org.postgresql.pgpassfile");
      } else {
        System.setProperty("org.postgresql.pgpassfile", before);
      }
    }
  }

  @Test
  void wrongPasswordFromPgpasswordIsNamedAsSuch(TestCluster cluster, TestDatabase db) {
    CliRun r = CliRun.of(Map.of("PGPASSWORD", SECRET), home,
        "check", "--url", "postgres://" + cluster.superuser() + "@127.0.0.1:" + cluster.port() + "/" + db.name());
    assertOneLineFailure(r, "check the password in PGPASSWORD", SECRET);
  }

  @Test
  void missingDatabase(TestCluster cluster) {
    assertOneLineFailure(run("check", "--url", cluster.url("no_such_db")), "database 'no_such_db' does not exist", cluster.password());
  }

  @Test
  void tlsRequiredButUnavailable(TestCluster cluster, TestDatabase db) {
    assertOneLineFailure(run("check", "--url", db.url() + "?sslmode=require"), "does not offer TLS, but sslmode=require", cluster.password());
  }

  @Test
  void unsupportedServerVersion() throws Exception {
    try (OldServerStub old = new OldServerStub()) {
      assertOneLineFailure(run("check", "--url", "postgres://app:" + SECRET + "@127.0.0.1:" + old.port() + "/app"),
          "unsupported server version 12.22", SECRET);
    }
  }

  @Test
  void statementTimeout(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    try (Connection locker = db.connect()) {
      db.execute("CREATE TABLE busy (id int)");
      locker.setAutoCommit(false);
      locker.createStatement().execute("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE");
      assertOneLineFailure(run("check", "--url", db.url(), "--statement-timeout", "300ms"),
          "ran past the statement timeout of 300 ms", cluster.password());
      locker.rollback();
    } finally {
      db.drop();
    }
  }

  @Test
  void verboseAddsTheStackTraceButNeverThePassword(TestCluster cluster, TestDatabase db) {
    CliRun r = run("check", "--verbose", "--url", "postgres://" + cluster.superuser() + ":" + SECRET + "@127.0.0.1:" + cluster.port() + "/" + db.name());
    assertThat(r.exitCode()).isEqualTo(ExitCode.UNKNOWN);
    assertThat(r.err()).contains("\tat ").contains("PSQLException").doesNotContain(SECRET);
  }

  @Test
  void usageErrorsExit64() {
    assertThat(run("check", "--frobnicate").exitCode()).isEqualTo(ExitCode.USAGE);
    CliRun noUrl = run("check");
    assertThat(noUrl.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(noUrl.err()).contains("no database given");
    assertThat(run("check", "--url", "postgres://h/d", "--format", "xml").err()).contains("--format must be human or json");
    CliRun badKey = run("check", "--url", "postgres://h/d", "-t", "connection.warn=1");
    assertThat(badKey.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(badKey.err()).contains("unknown threshold 'connection.warn'").contains("connections.warning");
    CliRun badConfig = run("check", "--url", "postgres://h/d", "--config", home.resolve("missing.conf").toString());
    assertThat(badConfig.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(badConfig.err()).contains("no such file");
    assertThat(run("check", "--url", "postgres://h/d", "--statement-timeout", "soon").exitCode()).isEqualTo(ExitCode.USAGE);
  }

  @Test
  void jsonReportFollowsTheDocumentedSchemaAndTheCatalog(TestDatabase db) throws Exception {
    CliRun r = run("check", "--url", db.url(), "--format", "json");
    assertThat(r.err()).isEmpty();
    JsonNode report = new ObjectMapper().readTree(r.out());
    JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
        .getSchema(Files.readString(Path.of("../docs/schema/check-report.schema.json")));
    assertThat(schema.validate(report)).isEmpty();
    assertThat(report.get("version").asInt()).isEqualTo(1);
    assertThat(report.get("target").asText()).doesNotContain(db.cluster().password());
    Set<String> names = StreamSupport.stream(report.get("checks").spliterator(), false).map(c -> c.get("name").asText())
        .collect(Collectors.toSet());
    assertThat(names).containsExactlyInAnyOrder("connections", "idle_in_transaction", "long_running_queries", "blocked_queries",
        "cache_hit_ratio", "database_size", "dead_tuples", "xid_wraparound", "sequences", "replication", "invalid_indexes",
        "extensions", "settings", "server");
    String status = report.get("status").asText();
    assertThat(r.exitCode()).isEqualTo(switch (status) {
      case "healthy" -> 0;
      case "warning" -> 1;
      default -> 2;
    });
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      ResultSet rs = s.executeQuery("SELECT current_setting('max_connections')::int, current_setting('server_version_num')::int");
      rs.next();
      JsonNode connections = check(report, "connections");
      assertThat(connections.get("details").get("max_connections").asInt()).isEqualTo(rs.getInt(1));
      assertThat(report.get("server").get("version_num").asInt()).isEqualTo(rs.getInt(2));
    }
  }

  @Test
  void exitCodesFollowTheWorstCheckAndThresholdsComeFromConfigThenFlags(TestDatabase db) throws Exception {
    assertThat(run("check", "--url", db.url()).exitCode()).isEqualTo(ExitCode.OK);
    assertThat(run("check", "--url", db.url(), "-t", "connections.warning=0").exitCode()).isEqualTo(ExitCode.WARNING);
    assertThat(run("check", "--url", db.url(), "-t", "connections.critical=0").exitCode()).isEqualTo(ExitCode.CRITICAL);
    Path config = home.resolve("pgopt.conf");
    Files.writeString(config, "# tighter limits\nconnections.warning = 0\n");
    assertThat(run("check", "--url", db.url(), "--config", config.toString()).exitCode()).isEqualTo(ExitCode.WARNING);
    assertThat(run("check", "--url", db.url(), "--config", config.toString(), "-t", "connections.warning=off").exitCode())
        .isEqualTo(ExitCode.OK);
    assertThat(CliRun.of(Map.of("PGOPT_CONFIG", config.toString()), home, "check", "--url", db.url()).exitCode())
        .isEqualTo(ExitCode.WARNING);
  }

  @Test
  void urlComesFromTheFlagThenPgoptUrlThenDatabaseUrl(TestCluster cluster, TestDatabase db) {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", cluster.url("no_such_db"));
    assertThat(CliRun.of(env, home, "check").err()).contains("'no_such_db' does not exist");
    env.put("PGOPT_URL", db.url());
    assertThat(CliRun.of(env, home, "check").exitCode()).isEqualTo(ExitCode.OK);
    assertThat(CliRun.of(env, home, "check", "--url", cluster.url("other_missing")).err()).contains("'other_missing' does not exist");
  }

  @Test
  void humanReportIsAnAlignedTableWithoutColourOffTerminal(TestDatabase db) {
    CliRun r = run("check", "--url", db.url());
    List<String> lines = r.out().lines().toList();
    String header = lines.stream().filter(l -> l.contains("STATUS") && l.contains("CHECK")).findFirst().orElseThrow();
    int valueColumn = header.indexOf("VALUE");
    assertThat(lines.stream().filter(l -> l.startsWith("  ✔ ok") || l.startsWith("  ▲ WARN")))
        .hasSize(14).allSatisfy(l -> assertThat(l.charAt(valueColumn - 1)).isEqualTo(' '));
    assertThat(r.out()).doesNotContain("\u001b[").contains("Status: HEALTHY");
  }

  private static JsonNode check(JsonNode report, String name) {
    for (JsonNode c : report.get("checks")) {
      if (c.get("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no check " + name);
  }

  @Test
  void securityReviewListsFindingsWithFixesAndExitsByTheWorst(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE IF NOT EXISTS projects (id int PRIMARY KEY, workspace_id int NOT NULL, name text)");
    CliRun human = run("check", "--security", "--url", db.url());
    assertThat(human.exitCode()).as(human.all()).isIn(ExitCode.WARNING, ExitCode.CRITICAL);
    assertThat(human.out()).contains("security.tenant_rls").contains("public.projects").contains("app.tenant_id");
    CliRun json = run("check", "--security", "--format", "json", "--url", db.url());
    JsonNode findings = new ObjectMapper().readTree(json.out()).path("findings");
    assertThat(StreamSupport.stream(findings.spliterator(), false).map(f -> f.path("rule").asText()))
        .allMatch(r -> r.startsWith("security.")).contains("security.tenant_rls");
    CliRun narrowed = run("check", "--security", "--tenant-columns", "tenant_id", "--format", "json", "--url", db.url());
    assertThat(narrowed.out()).doesNotContain("security.tenant_rls");
    CliRun bad = run("check", "--security", "--tenant-columns", "tenant_id;DROP", "--url", db.url());
    assertThat(bad.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(bad.err()).contains("is not a column name");
    assertThat(run("check", "--tenant-columns", "tenant_id", "--url", db.url()).exitCode()).isEqualTo(ExitCode.USAGE);
    // a finding's fix goes through apply like any other: dry run by default, then executed, then gone
    db.execute("GRANT CREATE ON SCHEMA public TO PUBLIC");
    assertThat(run("check", "--security", "--url", db.url()).out()).contains("security.public_create:public");
    CliRun dry = run("apply", "--id", "security.public_create:public", "--url", db.url());
    assertThat(dry.out()).as(dry.all()).contains("REVOKE CREATE ON SCHEMA public FROM PUBLIC;");
    assertThat(run("check", "--security", "--url", db.url()).out()).contains("security.public_create:public");
    CliRun applied = run("apply", "--id", "security.public_create:public", "--execute", "--url", db.url());
    assertThat(applied.exitCode()).as(applied.all()).isEqualTo(ExitCode.OK);
    assertThat(run("check", "--security", "--url", db.url()).out()).doesNotContain("security.public_create");
  }
}
