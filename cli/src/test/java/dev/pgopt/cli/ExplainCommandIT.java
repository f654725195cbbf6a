package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Plans and insights from a real server; each insight is planted, and shown to go away when the cause is fixed. */
@ExtendWith(PostgresExtension.class)
class ExplainCommandIT {
  @TempDir
  Path home;

  @BeforeAll
  static void schema(TestDatabase db) {
    db.execute(
        "CREATE TABLE events (id int PRIMARY KEY, account int, kind int, at timestamptz, pad text)",
        "INSERT INTO events SELECT g, g % 1000, g % 100, now() - g * interval '1 second', repeat('x', 50) "
            + "FROM generate_series(1, 120000) g",
        "CREATE TABLE pairs (i int, a int, b int)",
        "INSERT INTO pairs SELECT g, g % 100, g % 100 FROM generate_series(1, 20000) g",
        "CREATE TABLE \"Odd Näme\" (\"Key\" int, val int)",
        "INSERT INTO \"Odd Näme\" SELECT g, g FROM generate_series(1, 20000) g",
        "CREATE TABLE docs (id int, embedding vector(3))",
        "INSERT INTO docs SELECT g, ARRAY[g, g * 2, g % 7 + 1]::vector FROM generate_series(1, 2000) g",
        "CREATE INDEX docs_embedding_cosine ON docs USING hnsw (embedding vector_cosine_ops)",
        "ANALYZE");
  }

  private CliRun run(String... args) {
    return CliRun.of(Map.of(), home, args);
  }

  private JsonNode explain(TestDatabase db, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("explain", "--url", db.url(), "--format", "json"));
    args.addAll(List.of(extra));
    CliRun r = run(args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.all()).isZero();
    return new ObjectMapper().readTree(r.out());
  }

  private static JsonNode insight(JsonNode report, String rule) {
    for (JsonNode i : report.get("insights")) {
      if (i.get("rule").asText().equals(rule)) {
        return i;
      }
    }
    return null;
  }

  @Test
  void parameterizedTextGetsAGenericPlanAndTheSelectiveSeqScanIsFound(TestDatabase db) throws Exception {
    JsonNode r = explain(db, "SELECT * FROM events WHERE account = $1 AND kind = $2");
    assertThat(r.get("generic_plan").asBoolean()).isTrue();
    assertThat(r.get("parameters").asInt()).isEqualTo(2);
    JsonNode seq = insight(r, "seq_scan_selective_filter");
    assertThat(seq).isNotNull();
    assertThat(seq.get("node").asText()).isEqualTo("Seq Scan on public.events");
    assertThat(seq.get("numbers").get("table_rows").asDouble()).isEqualTo(120000);
    // prepared statements are always removed again
    try (Connection c = db.connect()) {
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_prepared_statements")).isZero();
    }
  }

  @Test
  void explainsAStatementByItsQueryId(TestDatabase db) throws Exception {
    long queryId;
    try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("SELECT id FROM events WHERE account = ?")) {
      ps.setInt(1, 7);
      ps.executeQuery().close();
      queryId = Long.parseLong(Probe.text(c, "SELECT queryid::text FROM pg_stat_statements WHERE query = 'SELECT id FROM events WHERE account = $1'"));
    }
    JsonNode r = explain(db, "--query-id", Long.toString(queryId));
    assertThat(r.get("query").asText()).isEqualTo("SELECT id FROM events WHERE account = $1");
    assertThat(insight(r, "seq_scan_selective_filter")).isNotNull();
    CliRun unknown = run("explain", "--url", db.url(), "--query-id", "42");
    assertThat(unknown.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(unknown.err()).contains("no statement with queryid 42");
  }

  @Test
  void orderByLimitWithoutAnIndexGoesAwayWithTheIndex(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE feed (id int, account int, at timestamptz)",
          "INSERT INTO feed SELECT g, g % 50, now() - g * interval '1 minute' FROM generate_series(1, 50000) g", "ANALYZE feed");
      String q = "SELECT id FROM feed WHERE account = 7 ORDER BY at DESC LIMIT 10";
      JsonNode before = explain(db, "--analyze", q);
      assertThat(before.get("analyzed").asBoolean()).isTrue();
      JsonNode sort = insight(before, "order_limit_without_index");
      assertThat(sort).isNotNull();
      assertThat(sort.get("message").asText()).contains("feed.at DESC");
      db.execute("CREATE INDEX feed_account_at ON feed (account, at DESC)", "ANALYZE feed");
      JsonNode after = explain(db, "--analyze", q);
      assertThat(insight(after, "order_limit_without_index")).isNull();
      assertThat(insight(after, "seq_scan_selective_filter")).isNull();
    }
  }

  @Test
  void sortSpillsAndSortsWithoutLimit(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE big (id int, pad text)", "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 150000) g",
          "ANALYZE big", "ALTER DATABASE " + db.name() + " SET work_mem = '64kB'",
          "ALTER DATABASE " + db.name() + " SET max_parallel_workers_per_gather = 0");
      JsonNode r = explain(db, "--analyze", "SELECT * FROM big ORDER BY pad");
      assertThat(insight(r, "sort_spill")).isNotNull();
      assertThat(insight(r, "sort_spill").get("numbers").get("disk_kb").asDouble()).isPositive();
      assertThat(insight(r, "sort_without_limit").get("numbers").get("rows").asDouble()).isEqualTo(150000);
    }
  }

  @Test
  void correlatedColumnsAreMisestimated(TestDatabase db) throws Exception {
    JsonNode r = explain(db, "--analyze", "SELECT * FROM pairs WHERE a = 1 AND b = 1");
    JsonNode mis = insight(r, "row_misestimate");
    assertThat(mis).isNotNull();
    assertThat(mis.get("numbers").get("actual_rows").asDouble()).isEqualTo(200);
    assertThat(mis.get("numbers").get("factor").asDouble()).isGreaterThanOrEqualTo(10);
    assertThat(mis.get("suggestion").asText()).contains("CREATE STATISTICS");
  }

  @Test
  void nestedLoopOverALargeOuterSide(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE l (id int)", "CREATE TABLE r (id int PRIMARY KEY)",
          "INSERT INTO l SELECT g FROM generate_series(1, 20000) g", "INSERT INTO r SELECT g FROM generate_series(1, 20000) g",
          "ANALYZE", "ALTER DATABASE " + db.name() + " SET enable_hashjoin = off",
          "ALTER DATABASE " + db.name() + " SET enable_mergejoin = off");
      JsonNode r = explain(db, "SELECT * FROM l JOIN r USING (id)");
      assertThat(insight(r, "nested_loop_large_outer").get("numbers").get("outer_rows").asDouble()).isEqualTo(20000);
    }
  }

  @Test
  void lossyBitmapWhenWorkMemIsTooSmall(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE wide (id int, grp int, pad text)",
          "INSERT INTO wide SELECT g, g % 10, repeat('y', 300) FROM generate_series(1, 100000) g",
          "CREATE INDEX wide_grp ON wide (grp)", "ANALYZE wide",
          "ALTER DATABASE " + db.name() + " SET work_mem = '64kB'",
          "ALTER DATABASE " + db.name() + " SET enable_seqscan = off",
          "ALTER DATABASE " + db.name() + " SET enable_indexscan = off",
          "ALTER DATABASE " + db.name() + " SET max_parallel_workers_per_gather = 0");
      JsonNode r = explain(db, "--analyze", "SELECT count(*) FROM wide WHERE grp < 5");
      assertThat(insight(r, "lossy_bitmap").get("numbers").get("lossy_blocks").asDouble()).isPositive();
    }
  }

  @Test
  void distanceOrderByWithTheWrongOperatorMissesTheAnnIndex(TestDatabase db) throws Exception {
    JsonNode r = explain(db, "SELECT id FROM docs ORDER BY embedding <-> '[1,2,3]' LIMIT 5");
    JsonNode ann = insight(r, "ann_index_unused");
    assertThat(ann).isNotNull();
    assertThat(ann.get("message").asText()).contains("docs_embedding_cosine").contains("vector_cosine_ops serves <=>");
    JsonNode right = explain(db, "SELECT id FROM docs ORDER BY embedding <=> '[1,2,3]' LIMIT 5");
    assertThat(insight(right, "ann_index_unused")).isNull();
    assertThat(right.get("plan").toString()).contains("docs_embedding_cosine");
  }

  @Test
  void quotedMixedCaseAndUnicodeIdentifiers(TestDatabase db) throws Exception {
    JsonNode r = explain(db, "SELECT val FROM \"Odd Näme\" WHERE \"Key\" = 5");
    assertThat(insight(r, "seq_scan_selective_filter").get("node").asText()).isEqualTo("Seq Scan on public.Odd Näme");
    assertThat(insight(r, "seq_scan_selective_filter").get("numbers").get("table_rows").asDouble()).isEqualTo(20000);
  }

  @Test
  void refusesToExecuteAnythingButQueries(TestDatabase db) throws Exception {
    CliRun delete = run("explain", "--url", db.url(), "--analyze", "DELETE FROM events");
    assertThat(delete.exitCode()).isEqualTo(ExitCode.USAGE);
    CliRun cte = run("explain", "--url", db.url(), "--analyze", "WITH gone AS (DELETE FROM events RETURNING id) SELECT count(*) FROM gone");
    assertThat(cte.exitCode()).isEqualTo(ExitCode.UNKNOWN);
    assertThat(cte.err()).contains("read-only transaction");
    try (Connection c = db.connect()) {
      assertThat(Probe.count(c, "SELECT count(*) FROM events")).isEqualTo(120000);
    }
    assertThat(run("explain", "--url", db.url(), "--analyze", "SELECT * FROM events WHERE id = $1").err()).contains("placeholders");
    assertThat(run("explain", "--url", db.url(), "SELECT 1", "--query-id", "5").exitCode()).isEqualTo(ExitCode.USAGE);
    CliRun notAQuery = run("explain", "--url", db.url(), "SELEC 1");
    assertThat(notAQuery.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(notAQuery.err().strip()).contains("not 'SELEC'").doesNotContain("\n");
    CliRun broken = run("explain", "--url", db.url(), "SELECT FROM WHERE 1");
    assertThat(broken.exitCode()).isEqualTo(ExitCode.UNKNOWN);
    assertThat(broken.err().strip()).contains("syntax error").doesNotContain("\n");
    // estimating a write never runs it
    JsonNode estimate = explain(db, "DELETE FROM events WHERE id < 10");
    assertThat(estimate.get("analyzed").asBoolean()).isFalse();
    try (Connection c = db.connect()) {
      assertThat(Probe.count(c, "SELECT count(*) FROM events")).isEqualTo(120000);
    }
  }

  @Test
  void humanOutputShowsTheTreeAndTheInsights(TestDatabase db) {
    CliRun r = run("explain", "--url", db.url(), "SELECT * FROM events WHERE account = $1 ORDER BY at LIMIT 5");
    assertThat(r.out()).contains("generic plan: 1 parameters left unknown").contains("sort key: events.at").contains("-> ").contains("Seq Scan on public.events")
        .contains("Insights:").contains("seq_scan_selective_filter");
  }
}
