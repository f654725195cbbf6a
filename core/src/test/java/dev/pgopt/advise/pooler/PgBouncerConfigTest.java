package dev.pgopt.advise.pooler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.analyze.pooler.ServerLimits;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sizing, pool mode and quoting from plain evidence; the files are run for real in PoolerCommandIT. */
class PgBouncerConfigTest {
  private static final SessionFeatures NONE = SessionFeatures.of(List.of("SELECT 1"), List.of(), true);

  private static PoolerEvidence evidence(int maxConnections, int peak, List<PoolerEvidence.Role> roles, SessionFeatures f) {
    return new PoolerEvidence("app", new ServerLimits(maxConnections, 3, 0, 0, 0, 0, 12), peak, 100, Duration.ofMillis(100),
        roles, "scram-sha-256", false, f);
  }

  private static PgBouncerConfig.Options options(String mode, int[] version) {
    return new PgBouncerConfig.Options("127.0.0.1", 5432, "/etc/pgbouncer", "127.0.0.1", 6432, null, mode, version, "monitor");
  }

  private static Map<String, String> settings(String ini) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : ini.split("\n")) {
      int eq = line.indexOf('=');
      if (!line.startsWith(";") && eq > 0) {
        out.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
      }
    }
    return out;
  }

  private static final PoolerEvidence.Role APP = new PoolerEvidence.Role("app", "SCRAM-SHA-256$4096:c2FsdA==$a:b", false);

  @Test
  void poolsHoldThePeakWithHeadroomWithinTheServersSlots() {
    PgBouncerConfig c = PgBouncerConfig.of(evidence(100, 12, List.of(APP), NONE), options("auto", null));
    Map<String, String> s = settings(c.ini());
    // 97 ordinary slots, 10 left to others: 87 for the pools; the peak of 12 x 1.5 fits
    assertThat(s).containsEntry("default_pool_size", "18").containsEntry("reserve_pool_size", "3")
        .containsEntry("max_db_connections", "87").containsEntry("pool_mode", "transaction")
        .containsEntry("max_client_conn", "100").containsEntry("max_prepared_statements", "200")
        .containsEntry("auth_type", "scram-sha-256").containsEntry("stats_users", "monitor")
        .doesNotContainKey("admin_users");
    assertThat(c.userlist()).isEqualTo("\"app\" \"SCRAM-SHA-256$4096:c2FsdA==$a:b\"\n");
    assertThat(c.ini()).doesNotContain("SCRAM-SHA-256$");
  }

  @Test
  void aSmallServerCapsThePoolsAndSaysSo() {
    List<PoolerEvidence.Role> roles = List.of(APP, new PoolerEvidence.Role("reports", null, false));
    PgBouncerConfig c = PgBouncerConfig.of(evidence(20, 40, roles, NONE), options("auto", null));
    Map<String, String> s = settings(c.ini());
    // 17 ordinary slots, 3 left to others: 14 for two pools with reserves, 5 each and 1 in reserve
    assertThat(s).containsEntry("default_pool_size", "5").containsEntry("reserve_pool_size", "1")
        .containsEntry("max_db_connections", "14");
    assertThat(c.warnings()).anySatisfy(w -> assertThat(w).contains("limit each of the 2 pools to 5").contains("peak of 40"))
        .anySatisfy(w -> assertThat(w).contains("no password secret readable for reports").contains("pg_authid"));
    assertThat(c.userlist()).doesNotContain("reports");
  }

  @Test
  void sessionFeaturesChooseSessionModeAndAForcedTransactionModeNamesWhatBreaks() {
    SessionFeatures f = SessionFeatures.of(List.of("SET search_path = tenant_7, public", "SELECT pg_advisory_lock($1)",
        "LISTEN jobs", "SET LOCAL statement_timeout = $1", "/* pgopt */ SET work_mem = '64MB'"), List.of(), true);
    assertThat(f.found()).containsOnlyKeys(SessionFeatures.Feature.SET, SessionFeatures.Feature.ADVISORY_LOCK,
        SessionFeatures.Feature.LISTEN);
    assertThat(f.found().get(SessionFeatures.Feature.SET)).containsExactly("SET search_path = tenant_7, public");
    PgBouncerConfig auto = PgBouncerConfig.of(evidence(100, 5, List.of(APP), f), options("auto", new int[] {1, 18}));
    assertThat(settings(auto.ini())).containsEntry("pool_mode", "session").doesNotContainKey("max_prepared_statements");
    assertThat(auto.warnings()).anySatisfy(w -> assertThat(w).startsWith("session mode because of session advisory locks"));
    PgBouncerConfig forced = PgBouncerConfig.of(evidence(100, 5, List.of(APP), f), options("transaction", new int[] {1, 18}));
    assertThat(settings(forced.ini())).containsEntry("pool_mode", "transaction");
    assertThat(forced.warnings())
        .anySatisfy(w -> assertThat(w).startsWith("transaction mode breaks session SET").contains("SET LOCAL"))
        .anySatisfy(w -> assertThat(w).contains("transaction mode breaks LISTEN"))
        .anySatisfy(w -> assertThat(w).contains("PgBouncer 1.18 cannot keep protocol-level prepared statements")
            .contains("prepareThreshold=0"));
  }

  @Test
  void featuresAreTheirStatementsNotLookAlikes() {
    SessionFeatures f = SessionFeatures.of(List.of("SELECT pg_advisory_xact_lock($1)", "UPDATE t SET a = $1",
        "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "CREATE TEMP TABLE x (a int) ON COMMIT DROP",
        "SELECT set_config($1, $2, true)", "SELECT 'listen to this'"), List.of(), true);
    assertThat(f.found()).isEmpty();
    SessionFeatures g = SessionFeatures.of(List.of("select set_config('app.tenant', $1, false)",
        "DECLARE c CURSOR WITH HOLD FOR SELECT 1", "create temporary table scratch (a int)", "PREPARE q AS SELECT 1"),
        List.of("pid 42 (app, worker) holds an advisory lock while idle"), true);
    assertThat(g.found()).containsOnlyKeys(SessionFeatures.Feature.SET, SessionFeatures.Feature.HOLD_CURSOR,
        SessionFeatures.Feature.TEMP_TABLE, SessionFeatures.Feature.PREPARE, SessionFeatures.Feature.ADVISORY_LOCK);
  }

  @Test
  void namesAreQuotedAndControlCharactersRefused() {
    PoolerEvidence weird = new PoolerEvidence("my \"db\"", new ServerLimits(100, 3, 0, 0, 0, 0, 1), 1, 1, Duration.ofMillis(100),
        List.of(new PoolerEvidence.Role("o\"neil", "SCRAM-SHA-256$x", false), new PoolerEvidence.Role("bad\nrole", "SCRAM-SHA-256$y", false)),
        "scram-sha-256", false, NONE);
    PgBouncerConfig c = PgBouncerConfig.of(weird, options("auto", null));
    assertThat(c.ini()).contains("\"my \"\"db\"\"\" = host=127.0.0.1 port=5432 dbname='my \"db\"'");
    assertThat(c.userlist()).isEqualTo("\"o\"\"neil\" \"SCRAM-SHA-256$x\"\n");
    assertThat(c.warnings()).anySatisfy(w -> assertThat(w).contains("control character is left out"));
    PoolerEvidence injected = new PoolerEvidence("app\n[pgbouncer]\nauth_type = trust", weird.limits(), 1, 1,
        Duration.ofMillis(100), List.of(APP), "scram-sha-256", false, NONE);
    assertThatThrownBy(() -> PgBouncerConfig.of(injected, options("auto", null)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("control character");
  }

  @Test
  void theServersTimeoutsShapeThePoolersOwn() {
    PoolerEvidence e = new PoolerEvidence("app", new ServerLimits(100, 3, 0, 300_000, 60_000, 30_000, 1), 1, 1,
        Duration.ofMillis(100), List.of(APP), "scram-sha-256", true, NONE);
    PgBouncerConfig c = PgBouncerConfig.of(e, new PgBouncerConfig.Options("db.internal", 5432, "/etc/pgbouncer", "0.0.0.0",
        6432, 400, "auto", null, "monitor"));
    Map<String, String> s = settings(c.ini());
    // the server drops idle sessions after 300 s: the pooler closes its own at half that
    assertThat(s).containsEntry("server_idle_timeout", "150").containsEntry("query_timeout", "0")
        .doesNotContainKey("idle_transaction_timeout").containsEntry("server_tls_sslmode", "require")
        .containsEntry("max_client_conn", "400");
    assertThat(c.warnings()).anySatisfy(w -> assertThat(w).contains("listen_addr 0.0.0.0").contains("client_tls_sslmode"));
  }
}
