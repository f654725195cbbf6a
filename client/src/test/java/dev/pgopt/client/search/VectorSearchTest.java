package dev.pgopt.client.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.client.bulk.VectorCopy;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class VectorSearchTest {
  static final int DIMS = 8;
  static final float[] QUERY = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};

  @BeforeAll
  static void data(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE docs (id bigint PRIMARY KEY, category int, body text, embedding vector(8))");
    SplittableRandom random = new SplittableRandom(11);
    List<VectorCopy.Row> rows = new ArrayList<>();
    for (long id = 1; id <= 5000; id++) {
      float[] v = new float[DIMS];
      for (int d = 0; d < DIMS; d++) {
        v[d] = (float) random.nextDouble();
      }
      rows.add(new VectorCopy.Row(id, v));
    }
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertThat(VectorCopy.rows(c, "docs", "id", "embedding", rows)).isEqualTo(5000);
      c.commit();
    }
    db.execute("UPDATE docs SET category = id % 100, body = 'ordinary document number ' || id",
        // far from the query vector, but the only document about zebras
        "UPDATE docs SET body = 'the zebra migration field guide', embedding = array_fill(-5, ARRAY[8])::vector WHERE id = 4242",
        "CREATE INDEX docs_hnsw ON docs USING hnsw (embedding vector_l2_ops)",
        "CREATE INDEX docs_fts ON docs USING gin (to_tsvector('english', body))",
        "ANALYZE docs");
  }

  private static List<Long> exact(TestDatabase db, String where, int k) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("SET LOCAL enable_indexscan = off");
      List<Long> ids = new ArrayList<>();
      try (ResultSet rs = s.executeQuery("SELECT id FROM docs WHERE " + where + " ORDER BY embedding <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT " + k)) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
        }
      }
      c.rollback();
      return ids;
    }
  }

  @Test
  void copyBinaryStoresVectorsExactly(TestDatabase db) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*), min(vector_dims(embedding)) FROM docs")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(5000);
      assertThat(rs.getInt(2)).isEqualTo(8);
    }
  }

  @Test
  void filteredKnnReturnsFullResultsWhereAPlainIndexScanComesBackShort(TestDatabase db) throws Exception {
    String plain = "SELECT id FROM docs WHERE category = 7 ORDER BY embedding <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10";
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("SET LOCAL enable_seqscan = off");
      int n = 0;
      try (ResultSet rs = s.executeQuery(plain)) {
        while (rs.next()) {
          n++;
        }
      }
      c.rollback();
      assertThat(n).as("1 % filter after an ef_search = 40 scan").isLessThan(10);
    }
    try (Connection c = db.connect()) {
      KnnResult<Long> r = KnnQuery.on("docs", "embedding", Distance.L2, rs -> rs.getLong("id")).select("id")
          .where("category = ?", 7).limit(10).run(c, QUERY);
      assertThat(r.neighbors()).hasSize(10);
      assertThat(r.complete()).isTrue();
      assertThat(r.neighbors()).extracting(Neighbor::distance).isSorted();
      assertThat(r.neighbors().stream().map(Neighbor::row).toList()).containsExactlyElementsOf(exact(db, "category = 7", 10));
    }
  }

  @Test
  void fewerRowsOnlyWhenFewerMatchAndItSaysSo(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      KnnResult<Long> r = KnnQuery.on("docs", "embedding", Distance.L2, rs -> rs.getLong("id")).select("id")
          .where("id IN (1, 2, 3)").limit(10).run(c, QUERY);
      assertThat(r.neighbors()).hasSize(3);
      assertThat(r.complete()).isTrue();
      assertThat(r.note()).isEqualTo("only 3 rows match");
      KnnResult<Long> all = KnnQuery.on("docs", "embedding", Distance.L2, rs -> rs.getLong("id")).select("id").limit(5).run(c, QUERY);
      assertThat(all.neighbors().stream().map(Neighbor::row).toList()).containsExactlyElementsOf(exact(db, "true", 5));
    }
  }

  @Test
  void hybridSearchFusesBothSidesSoTextOnlyMatchesSurvive(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      List<HybridHit<String>> hits = HybridQuery.on("docs", "id", "embedding", Distance.L2, "to_tsvector('english', body)",
              rs -> rs.getString("body"))
          .select("body").candidates(20).limit(10).run(c, QUERY, "zebra guide");
      assertThat(hits).hasSize(10);
      HybridHit<String> zebra = hits.stream().filter(h -> h.row().contains("zebra")).findFirst().orElseThrow();
      assertThat(zebra.vectorRank()).isZero();
      assertThat(zebra.textRank()).isEqualTo(1);
      // RRF with k = 60: the text-only top hit ties the vector-only top hit at 1/61
      assertThat(zebra.score()).isEqualTo(1.0 / 61);
      assertThat(hits.get(0).score()).isEqualTo(1.0 / 61);
      assertThat(hits).extracting(HybridHit::score).isSortedAccordingTo((a, b) -> Double.compare(b, a));

      List<HybridHit<Long>> vectorOnly = HybridQuery.on("docs", "id", "embedding", Distance.L2, "to_tsvector('english', body)",
              rs -> rs.getLong("id"))
          .select("id").fusion(Fusion.weighted(1.0)).candidates(20).limit(5).run(c, QUERY, "zebra");
      assertThat(vectorOnly.stream().map(HybridHit::row).toList()).containsExactlyElementsOf(exact(db, "true", 5));
    }
  }

  @Test
  void filteredHybridSearchGetsAllItsVectorCandidates(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      // in the caller's transaction, with the HNSW index forced (on a table this small the planner would rather
      // filter and sort): 5 % of the rows match and 50 candidates are asked, where an ef_search = 40 scan without
      // iterative scan finds about 2
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL enable_seqscan = off");
      }
      List<HybridHit<Long>> hits = HybridQuery.on("docs", "id", "embedding", Distance.L2, "to_tsvector('english', body)",
              rs -> rs.getLong("id"))
          .select("id").where("category < ?", 5).fusion(Fusion.weighted(1.0)).candidates(50).limit(50)
          .run(c, QUERY, "nothing matches this text");
      c.rollback();
      assertThat(hits).hasSize(50);
      List<Long> found = hits.stream().map(HybridHit::row).toList();
      List<Long> truth = exact(db, "category < 5", 50);
      assertThat(found.stream().filter(truth::contains).count()).as("recall of the vector side").isGreaterThanOrEqualTo(45);
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_setting('hnsw.ef_search')")) {
        rs.next();
        assertThat(rs.getString(1)).as("SET LOCAL only").isEqualTo("40");
      }
    }
  }
}
