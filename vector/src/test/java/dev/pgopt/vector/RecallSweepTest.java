package dev.pgopt.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestDatabase;
import dev.pgopt.vector.tune.RecallSweep;
import dev.pgopt.vector.tune.SweepPoint;
import dev.pgopt.vector.VectorRequestException;
import dev.pgopt.vector.tune.TuneRequest;
import dev.pgopt.vector.tune.TuneResult;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class RecallSweepTest {

  @BeforeAll
  static void data(TestDatabase db) {
    // Uniform 16-dimension vectors: HNSW's graph is random per build (levels come from the backend's own random
    // state), and tight clusters can leave islands no ef_search reaches; uniform data keeps every run comparable.
    db.execute("CREATE TABLE items (id int PRIMARY KEY, category int, embedding vector(16))",
        "INSERT INTO items SELECT g, g % 10, (SELECT array_agg(random())::vector(16) FROM generate_series(1, 16) WHERE g > 0)"
            + " FROM generate_series(1, 6000) g",
        "CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64)",
        "CREATE TABLE empty_items (id int, embedding vector(16))",
        "CREATE INDEX ON empty_items USING hnsw (embedding vector_l2_ops)",
        "CREATE TABLE unindexed (id int, embedding vector(16), label text)",
        "INSERT INTO unindexed VALUES (1, array_fill(1, ARRAY[16])::vector, 'x')",
        "ANALYZE");
  }

  private static TuneRequest request(String table, String column, double target, List<String> vectors, String filter,
      List<Integer> sweep) {
    return new TuneRequest("public", table, column, 10, target, 40, vectors, filter, sweep, 7);
  }

  private static TuneResult tune(TestDatabase db, TuneRequest r) throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      c.setReadOnly(true);
      try {
        return new RecallSweep(c, System::nanoTime).run(r);
      } finally {
        c.rollback();
      }
    }
  }

  @Test
  void findsTheSmallestEfSearchThatMeetsTheTarget(TestDatabase db) throws Exception {
    TuneResult r = tune(db, request("items", "embedding", 0.95, List.of(), null, List.of()));
    assertThat(r.points()).extracting(SweepPoint::value).containsExactlyElementsOf(TuneRequest.DEFAULT_EF_SEARCH);
    SweepPoint lowest = r.points().get(0);
    SweepPoint highest = r.points().get(r.points().size() - 1);
    assertThat(lowest.recall()).isLessThan(0.95);
    assertThat(highest.recall()).isGreaterThan(lowest.recall());
    assertThat(r.recommended()).isNotNull();
    assertThat(r.recommended().recall()).isGreaterThanOrEqualTo(0.95);
    assertThat(r.points().stream().filter(p -> p.value() < r.recommended().value()))
        .allMatch(p -> p.recall() < 0.95 || p.minRows() < 10);
    assertThat(r.applySql().get(0)).isEqualTo("ALTER DATABASE " + db.name() + " SET hnsw.ef_search = "
        + r.recommended().value() + ";");
    assertThat(r.exactMeanMs()).isPositive();
    assertThat(r.queriesFrom()).isEqualTo("sampled rows (held out)");
  }

  @Test
  void filteredSearchesNeedIterativeScanToKeepFullResults(TestDatabase db) throws Exception {
    TuneResult r = tune(db, request("items", "embedding", 0.9, List.of(), "category = 3", List.of(10, 40)));
    SweepPoint offLow = r.points().stream().filter(p -> p.iterativeScan().equals("off") && p.value() == 10).findFirst().orElseThrow();
    assertThat(offLow.minRows()).isLessThan(10);
    assertThat(r.recommended()).isNotNull();
    assertThat(r.recommended().iterativeScan()).isNotEqualTo("off");
    assertThat(r.recommended().minRows()).isEqualTo(10);
    // the setting was measured together with the iterative-scan mode, for the filtered search only: it is applied per
    // query with both, never as a database or role default that unfiltered searches would inherit
    String mode = "hnsw.iterative_scan = " + r.recommended().iterativeScan();
    assertThat(r.applySql()).allMatch(a -> a.startsWith("SET LOCAL")).anyMatch(a -> a.contains(mode))
        .anyMatch(a -> a.contains("hnsw.ef_search = " + r.recommended().value()));
    assertThat(r.advice()).anyMatch(a -> a.contains("not for the database"));
  }

  @Test
  void unreachableTargetsSayWhatToChange(TestDatabase db) throws Exception {
    TuneResult r = tune(db, request("items", "embedding", 0.999, List.of(), null, List.of(1)));
    assertThat(r.targetMet()).isFalse();
    assertThat(r.advice()).anyMatch(a -> a.startsWith("rebuild the index with a denser graph: m = 32, ef_construction = 128"));
  }

  @Test
  void badInputGetsOneClearLine(TestDatabase db) {
    assertThatThrownBy(() -> tune(db, request("items", "category", 0.9, List.of(), null, List.of())))
        .isInstanceOf(VectorRequestException.class).hasMessage("public.items.category is integer, not a vector column: tune works on"
            + " pgvector's vector and halfvec types");
    assertThatThrownBy(() -> tune(db, request("items", "nope", 0.9, List.of(), null, List.of())))
        .hasMessageStartingWith("no column public.items.nope");
    assertThatThrownBy(() -> tune(db, request("items", "embedding", 0.9, List.of("[1,2,3]"), null, List.of())))
        .hasMessage("query vector 1 has 3 dimensions; embedding has 16");
    assertThatThrownBy(() -> tune(db, request("empty_items", "embedding", 0.9, List.of(), null, List.of())))
        .hasMessageContaining("has no rows with a non-NULL embedding");
    assertThatThrownBy(() -> tune(db, request("items", "embedding", 0.9, List.of(), "category = 99", List.of())))
        .hasMessage("the filter (category = 99) matches no rows with a non-NULL embedding");
    assertThatThrownBy(() -> tune(db, request("items", "embedding", 0.9, List.of(), "no_such = 1", List.of())))
        .hasMessageStartingWith("the filter is not a valid predicate on this table: column \"no_such\" does not exist");
    assertThatThrownBy(() -> tune(db, request("unindexed", "embedding", 0.9, List.of(), null, List.of())))
        .hasMessageStartingWith("no valid HNSW or IVFFlat index on public.unindexed.embedding");
    assertThatThrownBy(() -> tune(db, request("items", "embedding", 1.5, List.of(), null, List.of())))
        .hasMessageStartingWith("--target-recall must be in (0, 1]");
  }
}
