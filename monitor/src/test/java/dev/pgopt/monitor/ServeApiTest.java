package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class ServeApiTest {
  static MonitorFixture f;
  static TestDatabase store;
  static TestCluster cluster;
  static TestDatabase target;

  @BeforeAll
  static void start(TestCluster c, TestDatabase db) throws Exception {
    cluster = c;
    target = db;
    store = c.createDatabase();
    db.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, customer int, total numeric)",
        "INSERT INTO orders (customer, total) SELECT g % 100, g FROM generate_series(1, 5000) g",
        "CREATE INDEX orders_total ON orders (total)");
    // this class makes many admin calls; the rate limit itself is tested in ServerSecurityTest
    f = MonitorFixture.start(MonitorFixture.config(c, db.name(), store.name(), "").replace("server:\n",
        "server:\n  mutations_per_minute: 1000\n"));
  }

  @AfterAll
  static void stop() {
    if (f != null) {
      f.close();
    }
    if (store != null) {
      store.close();
    }
  }

  @Test
  void collectsAndServesTargetsHistoryQueriesAndMetrics() throws Exception {
    Probe.waitUntil(() -> {
      try {
        JsonNode t = f.json("/api/targets").get(0);
        return t.path("up").asBoolean() && t.path("values").has("transactions_per_second");
      } catch (Exception e) {
        return false;
      }
    });
    JsonNode t = f.json("/api/targets").get(0);
    assertThat(t.path("name").asText()).isEqualTo("app");
    assertThat(t.path("database").asText()).doesNotContain(cluster.password());
    assertThat(t.path("values").path("connection_usage_percent").asDouble()).isGreaterThan(0);

    try (Connection c = MonitorFixture.app(cluster, target.name(), "shop"); Statement s = c.createStatement()) {
      for (int i = 0; i < 50; i++) {
        s.executeQuery("SELECT count(*) FROM orders WHERE customer = " + (i % 7)).close();
      }
    }
    Probe.waitUntil(() -> {
      try {
        for (JsonNode q : f.json("/api/targets/app/queries?type=usage").path("queries")) {
          if (q.path("query").asText().contains("FROM orders WHERE customer")) {
            return q.path("calls").asLong() >= 50;
          }
        }
        return false;
      } catch (Exception e) {
        return false;
      }
    });
    JsonNode usage = f.json("/api/targets/app/queries?type=usage&limit=100");
    assertThat(usage.path("source").asText()).as("read from the history store").isEqualTo("history");
    for (JsonNode q : usage.path("queries")) {
      assertThat(q.path("query").asText()).as("pgopt's own statements are left out").doesNotStartWith("/* pgopt");
    }
    JsonNode slow = f.json("/api/targets/app/queries?type=slow");
    assertThat(slow.path("queries").size()).isGreaterThan(0);

    JsonNode unused = f.json("/api/targets/app/queries?type=unused");
    assertThat(unused.path("indexes").toString()).contains("orders_total").doesNotContain("orders_pkey");

    JsonNode history = f.json("/api/targets/app/history?metric=connections&range=10m&step=1s");
    assertThat(history.path("points").size()).isGreaterThan(0);

    String queryId = usage.path("queries").get(0).path("queryid").asText();
    JsonNode spark = f.json("/api/targets/app/queries/history?ids=" + queryId + "&range=1h&step=5s");
    assertThat(spark.path("series").path(queryId).size()).isGreaterThan(0);

    HttpResponse<String> metrics = f.get("/metrics", MonitorFixture.READ);
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("pgopt_target_up{target=\"app\"} 1.0")
        .contains("pgopt_transactions_total{outcome=\"commit\",target=\"app\"}")
        .doesNotContain("FROM orders");
  }

  @Test
  void refusesMissingWrongAndUnderprivilegedTokens() throws Exception {
    assertThat(f.get("/api/live", null).statusCode()).isEqualTo(200);
    HttpResponse<String> none = f.get("/api/targets", null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.body()).contains("Authorization: Bearer");
    assertThat(f.get("/api/targets", "not-the-token-at-all").statusCode()).isEqualTo(401);
    assertThat(f.get("/metrics", null).statusCode()).isEqualTo(401);
    assertThat(f.get("/api/targets", MonitorFixture.ADMIN).statusCode()).as("admin can read").isEqualTo(200);
    HttpResponse<String> readPost = f.post("/api/targets/app/maintenance/daily_health_check", MonitorFixture.READ, "{}");
    assertThat(readPost.statusCode()).isEqualTo(403);
    assertThat(readPost.body()).contains("admin token");
  }

  @Test
  void refusesBadBodiesAndParameters() throws Exception {
    HttpResponse<String> invalid = f.post("/api/targets/app/explain", MonitorFixture.ADMIN, "{not json");
    assertThat(invalid.statusCode()).isEqualTo(400);
    assertThat(invalid.body()).contains("not valid JSON");
    assertThat(f.post("/api/targets/app/explain", MonitorFixture.ADMIN, "[1,2]").statusCode()).isEqualTo(400);
    HttpResponse<String> big = f.post("/api/targets/app/explain", MonitorFixture.ADMIN,
        "{\"sql\": \"SELECT '" + "x".repeat(70_000) + "'\"}");
    assertThat(big.statusCode()).isEqualTo(413);
    assertThat(f.get("/api/targets/nope/health", MonitorFixture.READ).statusCode()).isEqualTo(404);
    HttpResponse<String> metric = f.get("/api/targets/app/history?metric=bogus", MonitorFixture.READ);
    assertThat(metric.statusCode()).isEqualTo(400);
    assertThat(metric.body()).contains("unknown metric");
    assertThat(f.get("/api/targets/app/history?metric=connections&range=soon", MonitorFixture.READ).statusCode()).isEqualTo(400);
    assertThat(f.get("/api/targets/app/queries?type=fast", MonitorFixture.READ).statusCode()).isEqualTo(400);
    assertThat(f.post("/api/targets/app/maintenance/defrag", MonitorFixture.ADMIN, "{}").statusCode()).isEqualTo(404);
    assertThat(f.get("/api/nothing", MonitorFixture.READ).statusCode()).isEqualTo(404);
  }

  @Test
  void explainsWithAGenericPlanAndNeverExecutes() throws Exception {
    HttpResponse<String> plan = f.post("/api/targets/app/explain", MonitorFixture.ADMIN,
        "{\"sql\": \"SELECT * FROM orders WHERE customer = $1\"}");
    assertThat(plan.statusCode()).as(plan.body()).isEqualTo(200);
    assertThat(plan.body()).contains("Seq Scan");
    assertThat(MonitorFixture.JSON.readTree(plan.body()).path("generic_plan").asBoolean()).isTrue();

    long before = count();
    HttpResponse<String> delete = f.post("/api/targets/app/explain", MonitorFixture.ADMIN, "{\"sql\": \"DELETE FROM orders\"}");
    assertThat(delete.statusCode()).as(delete.body()).isEqualTo(200);
    assertThat(count()).isEqualTo(before);

    HttpResponse<String> two = f.post("/api/targets/app/explain", MonitorFixture.ADMIN,
        "{\"sql\": \"SELECT 1; DROP TABLE orders\"}");
    assertThat(two.statusCode()).isEqualTo(400);
    assertThat(f.post("/api/targets/app/explain", MonitorFixture.ADMIN, "{\"sql\": \"DROP TABLE orders\"}").statusCode()).isEqualTo(400);
    assertThat(f.post("/api/targets/app/explain", MonitorFixture.ADMIN, "{\"sql\": \"SELECT * FROM missing_table\"}").statusCode()).isEqualTo(422);
    assertThat(count()).isEqualTo(before);
  }

  @Test
  void explainNeverRunsAFunctionPlanningWouldEvaluate() throws Exception {
    target.execute("CREATE FUNCTION evil(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $f$BEGIN "
            + "PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'; RETURN $1; END$f$",
        "CREATE VIEW evil_orders AS SELECT id, evil(1) AS e FROM orders");
    try (Connection victim = MonitorFixture.app(cluster, target.name(), "victim")) {
      HttpResponse<String> viaView = f.post("/api/targets/app/explain", MonitorFixture.ADMIN,
          "{\"sql\": \"SELECT * FROM evil_orders WHERE id = $1\"}");
      assertThat(viaView.statusCode()).as(viaView.body()).isEqualTo(400);
      assertThat(viaView.body()).contains("public.evil()");
      HttpResponse<String> afterLiteral = f.post("/api/targets/app/explain", MonitorFixture.ADMIN,
          "{\"sql\": \"SELECT 'a\\\\'; SELECT evil(1); --'\"}");
      assertThat(afterLiteral.statusCode()).as(afterLiteral.body()).isEqualTo(400);
      assertThat(afterLiteral.body()).contains("exactly one statement");
      assertThat(Probe.count(victim, "SELECT 1")).as("the victim session was terminated").isEqualTo(1);
    }
  }

  @Test
  void hostileBodiesGetOneLineAnd400() throws Exception {
    String deep = "{\"a\":".repeat(6000) + "1" + "}".repeat(6000);
    HttpResponse<String> nested = f.post("/api/targets/app/explain", MonitorFixture.ADMIN, deep);
    assertThat(nested.statusCode()).as(nested.body()).isEqualTo(400);
    assertThat(nested.body()).doesNotContain("Exception").doesNotContain("\\n\\tat ");
    HttpResponse<String> nul = f.post("/api/targets/app/explain", MonitorFixture.ADMIN, "{\"sql\": \"SELECT 1\\u0000\"}");
    assertThat(nul.statusCode()).as(nul.body()).isEqualTo(400);
    HttpResponse<String> yes = f.post("/api/targets/app/actions", MonitorFixture.ADMIN,
        "{\"finding_id\": \"x\", \"execute\": \"yes\"}");
    assertThat(yes.statusCode()).as(yes.body()).isEqualTo(400);
    assertThat(yes.body()).contains("execute must be true or false");
    // the audit row of a body with a NUL byte cannot be stored as text: it is set aside, history goes on
    HttpResponse<String> nulId = f.post("/api/targets/app/explain", MonitorFixture.ADMIN, "{\"queryid\": \"\\u0000\"}");
    assertThat(nulId.statusCode()).isEqualTo(400);
    long audited = auditRows();
    f.post("/api/targets/app/explain", MonitorFixture.ADMIN, "{\"sql\": \"SELECT 2\"}");
    Probe.waitUntil(() -> auditRows() > audited);
  }

  private static long auditRows() {
    try (Connection c = store.connect()) {
      return Probe.count(c, "SELECT count(*) FROM pgopt.api_audit");
    } catch (Exception e) {
      return -1;
    }
  }

  @Test
  void healthSummaryAndDetail() throws Exception {
    JsonNode summary = f.json("/api/targets/app/health");
    assertThat(summary.path("status").asText()).isIn("healthy", "warning", "critical");
    assertThat(summary.path("checks").size()).isGreaterThan(5);
    JsonNode detailed = f.json("/api/targets/app/health?detailed=true");
    assertThat(detailed.toString()).contains("\"fix\"");
  }

  @Test
  void auditsAdminActions() throws Exception {
    HttpResponse<String> r = f.post("/api/targets/app/maintenance/daily_health_check", MonitorFixture.ADMIN, "{}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains("succeeded");
    Probe.waitUntil(() -> {
      try (Connection c = cluster.connect(store.name())) {
        return Probe.count(c, "SELECT count(*) FROM pgopt.api_audit WHERE path = '/api/targets/app/maintenance/daily_health_check' "
            + "AND token = 'admin' AND status = 200") >= 1
            && Probe.count(c, "SELECT count(*) FROM pgopt.maintenance_runs WHERE task = 'daily_health_check' AND status = 'succeeded'") >= 1;
      } catch (Exception e) {
        return false;
      }
    });
  }

  private long count() throws Exception {
    try (Connection c = cluster.connect(target.name())) {
      return Probe.count(c, "SELECT count(*) FROM orders");
    }
  }

  @Test
  void everyDocumentedPathIsServed() throws Exception {
    HttpResponse<String> doc = f.get("/api/openapi.yaml", MonitorFixture.READ);
    assertThat(doc.statusCode()).isEqualTo(200);
    JsonNode paths = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
        .readTree(doc.body()).path("paths");
    assertThat(paths.size()).isGreaterThan(15);
    for (var it = paths.fieldNames(); it.hasNext(); ) {
      String path = it.next();
      String concrete = path.replace("{target}", "app").replace("{task}", "daily_health_check").replace("{name}", "probe");
      JsonNode ops = paths.path(path);
      // POSTs with the admin token: with the read token the auth filter's 403 would answer for a route that is gone
      HttpResponse<String> r = ops.has("get") ? f.get(concrete, MonitorFixture.READ) : f.post(concrete, MonitorFixture.ADMIN, "{}");
      assertThat(r.body()).as(path).doesNotContain("no such endpoint");
      assertThat(r.statusCode()).as(path + ": " + r.body()).isNotIn(403, 404);
    }
  }

  @Test
  void appliesAFindingOnlyWhenAskedToExecute() throws Exception {
    target.execute("CREATE INDEX orders_total_copy ON orders (total)");
    assertThat(f.post("/api/targets/app/maintenance/weekly_optimization", MonitorFixture.ADMIN, "{}").statusCode()).isEqualTo(200);
    String id = null;
    for (JsonNode finding : f.json("/api/targets/app/findings").path("findings")) {
      if (finding.path("rule").asText().equals("index.duplicate")) {
        id = finding.path("id").asText();
      }
    }
    assertThat(id).as("the duplicate index is found").isNotNull();
    HttpResponse<String> dry = f.post("/api/targets/app/actions", MonitorFixture.ADMIN, "{\"finding_id\": \"" + id + "\"}");
    assertThat(dry.statusCode()).as(dry.body()).isEqualTo(200);
    assertThat(dry.body()).contains("\"dry_run\":true").contains("DROP INDEX CONCURRENTLY");
    assertThat(indexes()).as("a dry run changes nothing").isEqualTo(2);

    HttpResponse<String> run = f.post("/api/targets/app/actions", MonitorFixture.ADMIN,
        "{\"finding_id\": \"" + id + "\", \"execute\": true}");
    assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
    assertThat(run.body()).contains("\"succeeded\":true");
    assertThat(indexes()).isEqualTo(1);
    try (Connection c = cluster.connect(target.name())) {
      assertThat(Probe.count(c, "SELECT count(*) FROM pgopt.actions WHERE status = 'succeeded'")).isGreaterThanOrEqualTo(1);
    }
    HttpResponse<String> unknown = f.post("/api/targets/app/actions", MonitorFixture.ADMIN, "{\"finding_id\": \"index.nope\"}");
    assertThat(unknown.statusCode()).isEqualTo(404);
  }

  private long indexes() throws Exception {
    try (Connection c = cluster.connect(target.name())) {
      return Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%(total)'");
    }
  }
}
