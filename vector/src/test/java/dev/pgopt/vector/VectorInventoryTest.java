package dev.pgopt.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import dev.pgopt.vector.inspect.PgvectorMissingException;
import dev.pgopt.vector.inspect.VectorIndex;
import dev.pgopt.vector.inspect.VectorInventory;
import dev.pgopt.vector.inspect.VectorStatement;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class VectorInventoryTest {

  @BeforeAll
  static void data(TestDatabase db) {
    db.execute("CREATE TABLE docs (id bigint PRIMARY KEY, category int, body text, embedding vector(8), small halfvec(4))",
        "INSERT INTO docs SELECT g, g % 10, 'doc ' || g, (SELECT array_agg(random())::vector(8) FROM generate_series(1, 8) WHERE g > 0),"
            + " '[1,2,3,4]' FROM generate_series(1, 20000) g",
        "CREATE INDEX docs_embedding_hnsw ON docs USING hnsw (embedding vector_cosine_ops) WITH (m = 8, ef_construction = 32)",
        "CREATE TABLE plain (id int, v vector(3))",
        "VACUUM ANALYZE docs",
        "SELECT pg_stat_statements_reset()");
  }

  private static VectorStatement statementLike(VectorInventory inv, String fragment) {
    return inv.statements().stream().filter(s -> s.query().contains(fragment)).findFirst().orElseThrow(
        () -> new AssertionError("no statement containing " + fragment + " in " + inv.statements()));
  }

  @Test
  void reportsColumnsIndexesSettingsAndWhyPlansMissTheIndex(TestDatabase db) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      String q = "'[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]'";
      for (int i = 0; i < 3; i++) {
        s.executeQuery("SELECT id FROM docs ORDER BY embedding <=> " + q + " LIMIT 10").close();
        s.executeQuery("SELECT id FROM docs ORDER BY embedding <-> " + q + " LIMIT 10").close();
        s.executeQuery("SELECT id, 1 - (embedding <=> " + q + ") AS score FROM docs ORDER BY score DESC LIMIT 10").close();
        s.executeQuery("SELECT id FROM docs WHERE category = 3 ORDER BY embedding <=> " + q + " LIMIT 10").close();
        s.executeQuery("SELECT id FROM plain ORDER BY v <-> '[1,2,3]' LIMIT 5").close();
      }
    }
    VectorInventory inv;
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      inv = VectorInventory.read(c, dev.pgopt.collect.PlanGuard.strict(), 150000);
      c.rollback();
    }
    assertThat(inv.pgvectorVersion()).startsWith("0.8");
    assertThat(inv.versionWarnings()).anyMatch(w -> w.contains("parallel HNSW index builds can overflow"));
    assertThat(inv.settings().efSearch()).isEqualTo(40);
    assertThat(inv.columns()).extracting(col -> col.table() + "." + col.column() + ":" + col.type() + "(" + col.dimensions() + ")")
        .containsExactly("docs.embedding:vector(8)", "docs.small:halfvec(4)", "plain.v:vector(3)");
    assertThat(inv.columns().get(0).rows()).isEqualTo(20000);
    assertThat(inv.columns().get(0).avgBytes()).isBetween(36, 40);
    VectorIndex idx = inv.indexes().get(0);
    assertThat(idx.name()).isEqualTo("docs_embedding_hnsw");
    assertThat(idx.opclass()).isEqualTo("vector_cosine_ops");
    assertThat(idx.m()).isEqualTo(8);
    assertThat(idx.efConstruction()).isEqualTo(32);
    assertThat(idx.valid()).isTrue();
    assertThat(idx.sizeBytes()).isPositive();

    VectorStatement good = statementLike(inv, "ORDER BY embedding <=> $1 LIMIT");
    assertThat(good.annIndex()).isEqualTo("docs_embedding_hnsw");
    assertThat(good.problems()).isEmpty();
    assertThat(statementLike(inv, "ORDER BY embedding <-> $1").problems())
        .singleElement().asString().startsWith("operator/opclass mismatch: the query uses <-> but index docs_embedding_hnsw is vector_cosine_ops");
    assertThat(statementLike(inv, "ORDER BY score DESC").problems())
        .singleElement().asString().startsWith("ORDER BY expression mismatch");
    assertThat(statementLike(inv, "WHERE category = $1").problems())
        .anyMatch(p -> p.startsWith("filter applied after the index scan"));
    assertThat(statementLike(inv, "FROM plain").problems())
        .singleElement().asString().startsWith("no HNSW or IVFFlat index on v");
  }

  @Test
  void saysHowToGetPgvectorWhenItIsMissing(TestCluster cluster) throws Exception {
    try (dev.pgopt.testkit.TestDatabase bare = cluster.createDatabase()) {
      bare.execute("DROP EXTENSION vector");
      try (Connection c = bare.connect()) {
        assertThatThrownBy(() -> VectorInventory.read(c, dev.pgopt.collect.PlanGuard.strict(), 150000)).isInstanceOf(PgvectorMissingException.class)
            .hasMessage("pgvector is available but not created in database " + bare.name() + ": run CREATE EXTENSION vector;");
      }
    }
    assertThat(VectorInventory.versionWarnings("0.8.4")).isEmpty();
    assertThat(VectorInventory.versionWarnings("0.8.2")).hasSize(1);
    assertThat(List.of(VectorInventory.versionWarnings("0.7.4").size())).containsExactly(2);
  }

  @Test
  void aDistanceQueryThatWouldRunAUserFunctionWhilePlanningIsNotPlanned(dev.pgopt.testkit.TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE FUNCTION vec_evil() RETURNS int IMMUTABLE LANGUAGE plpgsql AS $f$BEGIN "
              + "PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'vector-victim'; RETURN 5; END$f$",
          "CREATE TABLE evil_plain (id int, w vector(3))");
      try (Connection c = db.connect(); Statement s = c.createStatement()) {
        s.executeQuery("SELECT id FROM evil_plain ORDER BY w <-> '[1,2,3]' LIMIT vec_evil()").close();
      }
      try (Connection victim = db.connect("vector-victim"); Connection c = db.connect()) {
        c.setAutoCommit(false);
        VectorInventory inv = VectorInventory.read(c, dev.pgopt.collect.PlanGuard.strict(), 150000);
        c.rollback();
        assertThat(statementLike(inv, "vec_evil()").planError()).startsWith("refused").contains("public.vec_evil()");
        try (Statement alive = victim.createStatement()) {
          assertThat(alive.executeQuery("SELECT 1").next()).as("the victim session was terminated").isTrue();
        }
      }
    }
  }
}
