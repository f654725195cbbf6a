package dev.pgopt.advise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.advise.rules.PartitionRules;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * table.partition_candidate from a real workload: a time-ordered table whose statements filter and delete by its time
 * column is proposed with the column, an interval and the command; the same kind of table read only by key is not.
 */
@ExtendWith(PostgresExtension.class)
class PartitionRulesIT {
  @Test
  void aTableReadAndTrimmedByTimeIsACandidateOneReadByKeyIsNot(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL, touched_at timestamptz,"
              + " payload text)",
          "INSERT INTO events (created_at, touched_at, payload) SELECT now() - interval '400 days' + g * interval '2 minutes',"
              + " now() - random() * interval '400 days', repeat('x', 40) FROM generate_series(1, 200000) g",
          "CREATE INDEX events_created ON events (created_at)",
          // a few embeddings (NULL elsewhere: the graph skips them) make it a vector table
          "ALTER TABLE events ADD COLUMN embedding vector(2)",
          "UPDATE events SET embedding = ARRAY[id % 7, id % 11]::real[]::vector WHERE id <= 500",
          "CREATE INDEX events_embedding ON events USING hnsw (embedding vector_l2_ops)",
          "CREATE TABLE users_log (id bigserial PRIMARY KEY, at timestamptz NOT NULL, payload text)",
          "INSERT INTO users_log (at, payload) SELECT now() - interval '400 days' + g * interval '2 minutes', repeat('y', 40)"
              + " FROM generate_series(1, 200000) g",
          "ANALYZE events", "ANALYZE users_log");
      db.resetStatements();
      try (Connection c = db.connect(); Statement s = c.createStatement()) {
        for (int i = 0; i < 30; i++) {
          s.executeQuery("SELECT count(*) FROM events WHERE created_at > now() - interval '" + (i + 1) + " days'").close();
          s.executeQuery("SELECT * FROM users_log WHERE id = " + (i + 1)).close();
          s.executeQuery("SELECT count(*) FROM events WHERE touched_at > now() - interval '1 day'").close();
        }
        s.executeUpdate("DELETE FROM events WHERE created_at < now() - interval '390 days'");
        s.executeUpdate("INSERT INTO events (created_at, payload) SELECT now(), 'new' FROM generate_series(1, 1000)");
      }
      Advisor.Advice a = AdvisorIT.advise(db, List.of(new PartitionRules.Candidate(1L << 20)));
      List<Finding> f = AdvisorIT.of(a, "table.partition_candidate");
      assertThat(f).singleElement().satisfies(x -> {
        assertThat(x.object().table()).isEqualTo("events");
        assertThat(x.object().columns()).containsExactly("created_at");
        assertThat(x.severity()).isEqualTo(Finding.Severity.WARNING);
        assertThat(x.confidence()).isEqualTo(Finding.Confidence.MEASURED);
        assertThat(x.title()).contains("by created_at, 1 month").contains("DELETE by created_at removes");
        assertThat(((Number) x.evidence().get("correlation")).doubleValue()).isGreaterThan(0.9);
        assertThat(((Number) x.evidence().get("rows_deleted_per_day_by_time")).longValue()).isPositive();
        assertThat(x.evidence().get("suggestion")).asString()
            .contains("pgopt partition migrate --table public.events --column created_at --interval '1 month'");
        assertThat(x.evidence().get("vector_indexes")).isEqualTo(List.of("events_embedding"));
        assertThat(x.evidence().get("vector_tradeoff")).asString().contains("filtered by created_at search one small graph");
        assertThat(x.evidence().get("proposal")).isEqualTo(Map.of("column", "created_at", "interval", "1 month", "premake", 3,
            "retention", "drop old partitions (pgopt retention) instead of DELETE"));
        assertThat(x.evidence().get("growth_from")).asString().startsWith("inserts in the statements' window of");
      });

      // a monitor's history of sizes is preferred to the window's inserts, when it is long enough to mean something
      TableGrowth.Measured fast = new TableGrowth.Measured(3.0 * (1L << 30), 5, 20, "monitor history of target app");
      Finding sized = AdvisorIT.of(AdvisorIT.advise(db, List.of(new PartitionRules.Candidate(1L << 20,
          TableGrowth.of(Map.of("public.events", fast))))), "table.partition_candidate").get(0);
      assertThat(sized.evidence().get("growth_from")).isEqualTo("monitor history of target app: 20 sizes over 5.0 days");
      assertThat(((Number) sized.evidence().get("growth_bytes_per_day")).longValue()).isEqualTo(3L << 30);
      assertThat(sized.evidence().get("proposal")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
          .containsEntry("interval", "1 day").containsEntry("premake", 7);
      TableGrowth.Measured brief = new TableGrowth.Measured(3.0 * (1L << 30), 0.5, 20, "monitor history of target app");
      Finding unsized = AdvisorIT.of(AdvisorIT.advise(db, List.of(new PartitionRules.Candidate(1L << 20,
          TableGrowth.of(Map.of("public.events", brief))))), "table.partition_candidate").get(0);
      assertThat(unsized.evidence().get("growth_from")).asString().startsWith("inserts in the statements' window");
    }
  }
}
