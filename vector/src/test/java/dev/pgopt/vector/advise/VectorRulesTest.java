package dev.pgopt.vector.advise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Advisor;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Rule;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class VectorRulesTest {

  @BeforeAll
  static void plant(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE docs (id int PRIMARY KEY, category int, embedding vector(8))",
        "INSERT INTO docs SELECT g, g % 10, (SELECT array_agg(random())::vector(8) FROM generate_series(1, 8) WHERE g > 0)"
            + " FROM generate_series(1, 20000) g",
        "CREATE INDEX docs_hnsw ON docs USING hnsw (embedding vector_cosine_ops)",
        "CREATE TABLE plain (id int, v vector(3))",
        "INSERT INTO plain SELECT g, ARRAY[g, g, g]::vector FROM generate_series(1, 100) g",
        "CREATE TABLE lists (id int, v vector(4))",
        "INSERT INTO lists SELECT g, ARRAY[random(), random(), random(), random()]::vector FROM generate_series(1, 20000) g",
        "CREATE INDEX lists_ivf ON lists USING ivfflat (v vector_l2_ops) WITH (lists = 300)",
        "ANALYZE",
        "SELECT pg_stat_statements_reset()");
    String q = "'[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]'";
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      for (int i = 0; i < 3; i++) {
        s.executeQuery("SELECT id FROM docs ORDER BY embedding <-> " + q + " LIMIT 10").close();
        s.executeQuery("SELECT id FROM docs WHERE category = 3 ORDER BY embedding <=> " + q + " LIMIT 10").close();
        s.executeQuery("SELECT id FROM docs ORDER BY embedding <=> " + q + " LIMIT 100").close();
        s.executeQuery("SELECT id FROM plain ORDER BY v <=> '[1,2,3]' LIMIT 5").close();
      }
    }
  }

  private static List<Finding> run(TestDatabase db, List<Rule> rules) throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL maintenance_work_mem = '1MB'");
      }
      AdviceContext ctx = new AdviceContext(c, 150000, Clock.systemUTC(), Optional.empty(), Map.of(), Map.of(), new ArrayList<>(),
          dev.pgopt.collect.PlanGuard.strict());
      List<Finding> out = new ArrayList<>();
      for (Rule r : rules) {
        out.addAll(r.evaluate(ctx));
      }
      c.rollback();
      return out;
    }
  }

  private static Finding only(List<Finding> all, String rule) {
    List<Finding> of = all.stream().filter(f -> f.rule().equals(rule)).toList();
    assertThat(of).as(rule + " in " + all.stream().map(Finding::id).toList()).hasSize(1);
    return of.get(0);
  }

  @Test
  void everyVectorRuleFindsItsPlantedProblem(TestDatabase db) throws Exception {
    List<Rule> rules = new ArrayList<>(new VectorRules().rules());
    assertThat(rules).extracting(Rule::id).containsExactly("vector.no_ann_index", "vector.opclass_mismatch",
        "vector.ef_search_below_limit", "vector.filtered_recall", "vector.partition_fanout", "vector.halfvec_candidate",
        "vector.build_memory", "vector.ivfflat_params", "vector.hnsw_growth");
    SharedInventory shared = new SharedInventory();
    rules.add(new HalfvecCandidateRule(shared, 1));
    List<Finding> all = run(db, rules);

    Finding noIndex = only(all, "vector.no_ann_index");
    assertThat(noIndex.object().table()).isEqualTo("plain");
    assertThat(noIndex.action().sql()).contains("USING hnsw (v vector_cosine_ops)").contains("CONCURRENTLY");
    assertThat(only(all, "vector.opclass_mismatch").action().sql()).contains("USING hnsw (embedding vector_l2_ops)");
    assertThat(only(all, "vector.ef_search_below_limit").evidence().get("rows_per_call")).isEqualTo(40.0);
    assertThat(only(all, "vector.filtered_recall").action().sql()).contains("SET hnsw.iterative_scan = relaxed_order");
    assertThat(only(all, "vector.build_memory").object().index()).isEqualTo("docs_hnsw");
    Finding ivf = only(all, "vector.ivfflat_params");
    assertThat(ivf.evidence()).containsEntry("recommended_lists", 20);
    assertThat(ivf.action().sql()).contains("WITH (lists = 20)");
    assertThat(all.stream().filter(f -> f.rule().equals("vector.halfvec_candidate")).map(f -> f.object().table()))
        .contains("docs");
  }

  @Test
  void statementsThatCannotBePlannedStillGetIndexAndOperatorFindings(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE notes (id int, e vector(3))",
          "INSERT INTO notes SELECT g, ARRAY[g, 1, 1]::vector FROM generate_series(1, 1000) g",
          "CREATE TABLE cards (id int, e vector(3))",
          "INSERT INTO cards SELECT g, ARRAY[g, 2, 2]::vector FROM generate_series(1, 1000) g",
          "CREATE INDEX cards_hnsw ON cards USING hnsw (e vector_cosine_ops)",
          // planning would run this user function, so pgopt does not plan the statements that call it
          "CREATE FUNCTION embed_of(n int) RETURNS vector LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN ARRAY[n, 1, 1]::vector; END $$",
          "ANALYZE");
      try (Connection c = db.connect(); Statement s = c.createStatement()) {
        s.execute("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
        for (int i = 0; i < 3; i++) {
          s.executeQuery("SELECT id FROM notes ORDER BY e <-> embed_of(7) LIMIT 5").close();
          s.executeQuery("SELECT id FROM cards ORDER BY e <-> embed_of(7) LIMIT 5").close();
        }
      }
      List<Finding> all = run(db, new VectorRules().rules());
      assertThat(only(all, "vector.no_ann_index").object().table()).isEqualTo("notes");
      Finding mismatch = only(all, "vector.opclass_mismatch");
      assertThat(mismatch.object().table()).isEqualTo("cards");
      assertThat(mismatch.action().sql()).contains("USING hnsw (e vector_l2_ops)");
    }
  }

  @Test
  void aSelectiveFilterIsJudgedWithTheLimitTheStatementUses(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      // 1 % of the rows match: the generic plan (LIMIT unknown, costed as a tenth of the rows) scans and sorts, while
      // every real call with LIMIT 10 walks the HNSW index and filters what ef_search = 40 candidates leave: 0.4 rows
      db.execute("CREATE TABLE items (id int PRIMARY KEY, category int, embedding vector(8))",
          "INSERT INTO items SELECT g, g % 100, (SELECT array_agg(random())::vector(8) FROM generate_series(1, 8) WHERE g > 0)"
              + " FROM generate_series(1, 20000) g",
          "CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops)",
          "ANALYZE");
      try (Connection c = db.connect()) {
        c.createStatement().execute("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
        try (var ps = c.prepareStatement("SELECT id FROM items WHERE category = ? ORDER BY embedding <-> ?::vector LIMIT ?")) {
          for (int i = 0; i < 20; i++) {
            ps.setInt(1, i);
            ps.setString(2, "[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]");
            ps.setInt(3, 10);
            ps.executeQuery().close();
          }
        }
      }
      List<Finding> all = run(db, new VectorRules().rules());
      Finding starved = only(all, "vector.filtered_recall");
      assertThat(starved.object().index()).isEqualTo("items_hnsw");
      assertThat((double) starved.evidence().get("rows_per_call")).isLessThan(5);
      assertThat(all.toString()).doesNotContain("chose not to use the index");
    }
  }

  @Test
  void anHnswIndexGrownByUpdatesIsReportedAndAFreshOneIsNot(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE churn (id int PRIMARY KEY, e vector(8)) WITH (autovacuum_enabled = false)",
          "INSERT INTO churn SELECT g, (SELECT array_agg(random())::vector(8) FROM generate_series(1, 8) WHERE g > 0)"
              + " FROM generate_series(1, 24000) g",
          // a small m and ef_construction keep the updates below quick (the estimate takes m into account)
          "CREATE INDEX churn_hnsw ON churn USING hnsw (e vector_l2_ops) WITH (m = 8, ef_construction = 16)",
          "CREATE TABLE wide (id int, h halfvec(96))",
          "INSERT INTO wide SELECT g, (SELECT array_agg(random())::halfvec(96) FROM generate_series(1, 96) WHERE g > 0)"
              + " FROM generate_series(1, 3000) g",
          "CREATE INDEX wide_hnsw ON wide USING hnsw (h halfvec_cosine_ops) WITH (m = 8)",
          "ANALYZE");
      // the estimate of a fresh build against real ones
      try (Connection c = db.connect()) {
        long churn = Probe.count(c, "SELECT pg_relation_size('churn_hnsw')");
        long wide = Probe.count(c, "SELECT pg_relation_size('wide_hnsw')");
        assertThat((double) HnswGrowthRule.freshBytes(24000, 8, "vector", 8) / churn).isBetween(0.8, 1.25);
        assertThat((double) HnswGrowthRule.freshBytes(3000, 96, "halfvec", 8) / wide).isBetween(0.8, 1.25);
      }
      assertThat(run(db, List.of(new HnswGrowthRule(new SharedInventory())))).isEmpty();
      // every vector replaced twice before a VACUUM: each update adds an element and the old ones stay; VACUUM marks them
      // deleted and later inserts reuse their space, but the index does not shrink (three times a fresh build here)
      db.execute("UPDATE churn SET e = (SELECT array_agg(random())::vector(8) FROM generate_series(1, 8) WHERE id > 0)",
          "UPDATE churn SET e = (SELECT array_agg(random())::vector(8) FROM generate_series(1, 8) WHERE id > 0)",
          "VACUUM ANALYZE churn");
      Finding grown = only(run(db, List.of(new HnswGrowthRule(new SharedInventory()))), "vector.hnsw_growth");
      assertThat(grown.object().index()).isEqualTo("churn_hnsw");
      assertThat((double) grown.evidence().get("ratio")).isGreaterThanOrEqualTo(2.0);
      assertThat(grown.action().sql()).isEqualTo("REINDEX INDEX CONCURRENTLY public.churn_hnsw;");
      assertThat(dev.pgopt.advise.IndexStatement.of(grown.action().sql())).singleElement()
          .satisfies(s -> assertThat(s.kind()).isEqualTo(dev.pgopt.advise.IndexStatement.Kind.REINDEX));
      // and the action does what it says
      db.execute("REINDEX INDEX CONCURRENTLY churn_hnsw", "ANALYZE churn");
      assertThat(run(db, List.of(new HnswGrowthRule(new SharedInventory())))).isEmpty();
    }
  }

  @Test
  void theColumnAMigrationKeptIsNotACandidateAgain(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      // what migrate-halfvec leaves: the column is halfvec now, the original kept as <col>_vector_old
      db.execute("CREATE TABLE migrated (id int, e halfvec(4), e_vector_old vector(4), other vector(4))",
          "INSERT INTO migrated SELECT g, ARRAY[g, 1, 1, 1]::halfvec, ARRAY[g, 1, 1, 1]::vector, ARRAY[g, 2, 2, 2]::vector"
              + " FROM generate_series(1, 1000) g", "ANALYZE");
      List<Finding> all = run(db, List.of(new HalfvecCandidateRule(new SharedInventory(), 1)));
      assertThat(all).extracting(f -> f.object().columns().get(0)).containsExactly("other");
    }
  }

  @Test
  void theAdvisorPicksThemUpThroughItsPluginPoint() {
    assertThat(Advisor.standardRules(50, null).stream().map(Rule::id)).contains("vector.no_ann_index", "vector.ivfflat_params");
  }

  @Test
  void nothingWithoutPgvector(TestCluster cluster) throws Exception {
    try (TestDatabase bare = cluster.createDatabase()) {
      bare.execute("DROP EXTENSION vector");
      assertThat(run(bare, new VectorRules().rules())).isEmpty();
    }
  }
}
