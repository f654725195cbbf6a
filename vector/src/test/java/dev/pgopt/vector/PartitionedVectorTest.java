package dev.pgopt.vector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Rule;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestDatabase;
import dev.pgopt.vector.advise.VectorRules;
import dev.pgopt.vector.inspect.VectorColumn;
import dev.pgopt.vector.inspect.VectorIndex;
import dev.pgopt.vector.inspect.VectorInventory;
import dev.pgopt.vector.inspect.VectorStatement;
import dev.pgopt.vector.tune.RecallSweep;
import dev.pgopt.vector.tune.SweepPoint;
import dev.pgopt.vector.tune.TuneRequest;
import dev.pgopt.vector.tune.TuneResult;
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

/** A vector table partitioned by month, one HNSW graph per partition: inventory, statements, rules and tune. */
@ExtendWith(PostgresExtension.class)
class PartitionedVectorTest {
  private static final String Q = "'[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]'";

  @BeforeAll
  static void data(TestDatabase db) throws Exception {
    List<String> ddl = new ArrayList<>();
    ddl.add("CREATE TABLE events (id bigint NOT NULL, created_at timestamptz NOT NULL, embedding vector(16))"
        + " PARTITION BY RANGE (created_at)");
    for (int m = 1; m <= 6; m++) {
      ddl.add(String.format("CREATE TABLE events_%d PARTITION OF events FOR VALUES FROM ('2026-%02d-01') TO ('2026-%02d-01')",
          m, m, m + 1));
    }
    // Uniform vectors (see RecallSweepTest), 1,000 a month: every partition's heap starts at ctid (0,1), so a row's
    // ctid repeats in each partition.
    ddl.add("INSERT INTO events SELECT g, timestamptz '2026-01-01' + ((g - 1) / 1000) * interval '1 month' + interval '1 hour',"
        + " (SELECT array_agg(random())::vector(16) FROM generate_series(1, 16) WHERE g > 0) FROM generate_series(1, 6000) g");
    ddl.add("CREATE INDEX events_hnsw ON events USING hnsw (embedding vector_l2_ops)");
    ddl.add("VACUUM ANALYZE events");
    ddl.add("SELECT pg_stat_statements_reset()");
    db.execute(ddl.toArray(String[]::new));
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      for (int i = 0; i < 3; i++) {
        s.executeQuery("SELECT id FROM events ORDER BY embedding <-> " + Q + " LIMIT 10").close();
        s.executeQuery("SELECT id FROM events WHERE created_at >= '2026-06-01' ORDER BY embedding <-> " + Q + " LIMIT 10").close();
      }
    }
  }

  private static VectorInventory inventory(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try {
        return VectorInventory.read(c, PlanGuard.strict(), 150000);
      } finally {
        c.rollback();
      }
    }
  }

  @Test
  void aPartitionedTableIsOneColumnAndOneIndexWithItsPartitionsGraphs(TestDatabase db) throws Exception {
    VectorInventory inv = inventory(db);
    assertThat(inv.columns()).extracting(VectorColumn::table).containsExactly("events");
    VectorColumn col = inv.columns().get(0);
    assertThat(col.partitions()).isEqualTo(6);
    assertThat(col.rows()).isEqualTo(6000);
    assertThat(col.tableBytes()).isPositive();
    assertThat(inv.indexes()).extracting(VectorIndex::name).containsExactly("events_hnsw");
    VectorIndex index = inv.indexes().get(0);
    assertThat(index.partitionIndexes()).hasSize(6);
    assertThat(index.partitionKey()).containsExactly("created_at");
    assertThat(index.sizeBytes()).isGreaterThan(index.largestPartBytes());
    assertThat(index.largestPartBytes()).isPositive();
    assertThat(index.valid()).isTrue();
  }

  @Test
  void aSearchOfEveryPartitionIsReportedAndOneFilteredByThePartitionKeyIsNotGuessed(TestDatabase db) throws Exception {
    VectorInventory inv = inventory(db);
    VectorStatement all = inv.statements().stream().filter(s -> !s.query().contains("created_at")).findFirst().orElseThrow();
    assertThat(all.annIndex()).isEqualTo("events_hnsw");
    assertThat(all.annScans()).isEqualTo(6);
    assertThat(all.problems()).singleElement().asString().startsWith("searches 6 partitions");
    VectorStatement recent = inv.statements().stream().filter(s -> s.query().contains("created_at")).findFirst().orElseThrow();
    // pg_stat_statements made the bound a parameter: a generic plan with NULL prunes every partition, so pgopt says what
    // it cannot know instead of calling the index unused
    assertThat(recent.problems()).isEmpty();
    assertThat(recent.planError()).contains("partition key created_at").contains("vector tune");
  }

  @Test
  void theFanoutRuleNamesTheStatementAndThePartitionKey(TestDatabase db) throws Exception {
    List<Finding> findings = new ArrayList<>();
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      AdviceContext ctx = new AdviceContext(c, 150000, Clock.systemUTC(), Optional.empty(), Map.of(), Map.of(),
          new ArrayList<>(), PlanGuard.strict());
      for (Rule r : new VectorRules().rules()) {
        findings.addAll(r.evaluate(ctx));
      }
      c.rollback();
    }
    assertThat(findings).extracting(Finding::rule).contains("vector.partition_fanout")
        .doesNotContain("vector.no_ann_index", "vector.filtered_recall");
    Finding f = findings.stream().filter(x -> x.rule().equals("vector.partition_fanout")).findFirst().orElseThrow();
    assertThat(f.evidence()).containsEntry("partitions_searched", 6).containsEntry("partitions", 6)
        .containsEntry("partition_key", List.of("created_at"));
    assertThat(f.title()).contains("walks 6 partitions' graphs");
  }

  private static TuneResult tune(TestDatabase db, String table, String filter) throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      c.setReadOnly(true);
      try {
        return new RecallSweep(c, System::nanoTime)
            .run(new TuneRequest("public", table, "embedding", 10, 0.9, 40, List.of(), filter, List.of(10, 40, 200), 3));
      } finally {
        c.rollback();
      }
    }
  }

  @Test
  void tuneMeasuresTheSearchOfEveryPartitionAndSaysHowManyItWalks(TestDatabase db) throws Exception {
    TuneResult all = tune(db, "events", null);
    assertThat(all.partitions()).isEqualTo(6);
    assertThat(all.partitionsSearched()).isEqualTo(6);
    // held-out query rows are excluded by partition and ctid: every result set is full and ef_search 200 finds them all
    assertThat(all.points()).allMatch(p -> p.complete(10));
    SweepPoint widest = all.points().get(all.points().size() - 1);
    assertThat(widest.recall()).isGreaterThanOrEqualTo(0.99);
    assertThat(all.advice()).anyMatch(a -> a.contains("walks 6 of the 6 partitions' graphs") && a.contains("created_at"));

    TuneResult recent = tune(db, "events", "created_at >= '2026-06-01'");
    assertThat(recent.partitionsSearched()).isEqualTo(1);
    assertThat(recent.rows()).isEqualTo(1000);
    assertThat(recent.advice()).anyMatch(a -> a.contains("pruned to 1 of the 6 partitions"));
  }

  @Test
  void aPartitionedTableWithoutAnIndexOfItsOwnIsToldWhatToDo(dev.pgopt.testkit.TestCluster cluster) throws Exception {
    // a database of its own: the class's database holds only the table the other tests count
    try (TestDatabase db = cluster.createDatabase()) {
      looseTable(db);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> tune(db, "loose", null))
          .isInstanceOf(VectorRequestException.class)
          .hasMessageContaining("1 of its 2 partitions have their own").hasMessageContaining("--table public.loose_b")
          .hasMessageContaining("ON ONLY public.loose").hasMessageContaining("CONCURRENTLY does not work on a partitioned table");
    }
  }

  private static void looseTable(TestDatabase db) {
    db.execute("CREATE TABLE loose (id int, at date NOT NULL, embedding vector(4)) PARTITION BY RANGE (at)",
        "CREATE TABLE loose_a PARTITION OF loose FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')",
        "CREATE TABLE loose_b PARTITION OF loose FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')",
        "INSERT INTO loose SELECT g, date '2026-01-01' + g % 50, ARRAY[g, 1, 2, 3]::real[]::vector FROM generate_series(1, 200) g",
        "CREATE INDEX loose_b_hnsw ON loose_b USING hnsw (embedding vector_l2_ops)");
  }

  @Test
  void onePartitionCanBeTunedOnItsOwn(TestDatabase db) throws Exception {
    TuneResult one = tune(db, "events_3", null);
    assertThat(one.index()).isEqualTo("events_3_embedding_idx");
    assertThat(one.partitions()).isZero();
    assertThat(one.partitionsSearched()).isEqualTo(1);
    assertThat(one.rows()).isEqualTo(1000);
  }
}
