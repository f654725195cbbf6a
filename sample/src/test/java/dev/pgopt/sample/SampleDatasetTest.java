package dev.pgopt.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class SampleDatasetTest {
  private static final SampleDataset.Options SMALL = new SampleDataset.Options(0.02, 42, false);

  @Test
  void loadsOnceAndReportsWhatIsThere(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      SampleDataset.LoadResult first = SampleDataset.load(c, SMALL, Clock.systemUTC(), SampleDataset.Progress.NONE);
      assertThat(first.alreadyLoaded()).isFalse();
      assertThat(first.info().rowCounts()).containsOnlyKeys(SampleDataset.TABLES);
      assertThat(first.info().rowCounts().get("messages")).isEqualTo(8000);
      assertThat(first.info().rowCounts().get("repositories")).isEqualTo(1260);
      assertThat(Probe.count(c, "SELECT count(*) FROM messages")).isEqualTo(8000);

      SampleDataset.LoadResult second = SampleDataset.load(c, SMALL, Clock.systemUTC(), SampleDataset.Progress.NONE);
      assertThat(second.alreadyLoaded()).isTrue();
      assertThat(Probe.count(c, "SELECT count(*) FROM pgopt_sample_info")).isEqualTo(1);
    }
  }

  @Test
  void sameSeedGivesTheSameRows(TestCluster cluster) throws Exception {
    TestDatabase a = cluster.createDatabase();
    TestDatabase b = cluster.createDatabase();
    try (Connection ca = a.connect(); Connection cb = b.connect()) {
      SampleDataset.load(ca, SMALL, Clock.systemUTC(), SampleDataset.Progress.NONE);
      SampleDataset.load(cb, SMALL, Clock.systemUTC(), SampleDataset.Progress.NONE);
      String digest = "SELECT md5(string_agg(full_name || stars || coalesce(language, '') || array_to_string(topics, ','), '|' ORDER BY id)) FROM repositories";
      assertThat(Probe.text(ca, digest)).isEqualTo(Probe.text(cb, digest));
      String users = "SELECT md5(string_agg(username || plan, '|' ORDER BY id)) FROM users";
      assertThat(Probe.text(ca, users)).isEqualTo(Probe.text(cb, users));
    } finally {
      a.drop();
      b.drop();
    }
  }

  @Test
  void dataIsRealisticAndSkewed(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    try (Connection c = db.connect()) {
      SampleDataset.load(c, SMALL, Clock.systemUTC(), SampleDataset.Progress.NONE);
      // real package text is searchable
      assertThat(Probe.count(c, "SELECT count(*) FROM repositories WHERE search_vector @@ websearch_to_tsquery('english', 'library')")).isPositive();
      assertThat(Probe.count(c, "SELECT count(DISTINCT language) FROM repositories")).isGreaterThan(5);
      // a few projects hold a large share of the messages
      long top = Probe.count(c, "SELECT sum(n) FROM (SELECT count(*) n FROM messages GROUP BY project_id ORDER BY 1 DESC LIMIT 10) t");
      assertThat(top).isGreaterThan(8000 / 10);
      // time series rows are in time order, as appended
      assertThat(Probe.count(c, "SELECT count(*) FROM (SELECT created_at < lag(created_at) OVER (ORDER BY id) AS back FROM token_usage) t WHERE back"))
          .isLessThan(Probe.count(c, "SELECT count(*) FROM token_usage") / 2);
      // the deliberately missing index: messages by project has no index
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE tablename = 'messages' AND indexdef LIKE '%project_id%'")).isZero();
      // identity sequences continue after the loaded ids
      try (Statement s = c.createStatement()) {
        s.execute("INSERT INTO users (username, email, display_name, plan, created_at) VALUES ('new', 'new@example.com', 'New', 'free', now())");
      }
    } finally {
      db.drop();
    }
  }

  @Test
  void refusesToTouchForeignTablesAndLeavesNothingOnFailure(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    try (Connection c = db.connect()) {
      db.execute("CREATE TABLE users (id int)");
      assertThatThrownBy(() -> SampleDataset.load(c, SMALL, Clock.systemUTC(), SampleDataset.Progress.NONE))
          .isInstanceOf(SQLException.class).hasMessageContaining("not pgopt's sample dataset");
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_tables WHERE tablename = 'messages'")).isZero();
    } finally {
      db.drop();
    }
  }

  @Test
  void workloadRunsTheMixWithoutErrorsAndShowsInStatementStatistics(TestCluster cluster) throws Exception {
    TestDatabase db = cluster.createDatabase();
    try (Connection c = db.connect()) {
      SampleDataset.load(c, SMALL, Clock.systemUTC(), SampleDataset.Progress.NONE);
      Workload.Result r = Workload.run(db::connect, new Workload.Options(Duration.ZERO, 600, 2, 7, Workload.defaultMix()));
      assertThat(r.errors()).as(Workload.summary(r)).isZero();
      assertThat(r.statements()).isEqualTo(600);
      assertThat(r.byStatement().keySet()).containsAll(Workload.defaultMix().keySet());
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_stat_statements WHERE query LIKE '%FROM messages WHERE project_id = $1%'")).isEqualTo(1);
      assertThat(Probe.count(c, "SELECT count(*) FROM messages")).isGreaterThan(8000);
    } finally {
      db.drop();
    }
  }

  @Test
  void rejectsUnknownMixEntries() {
    assertThatThrownBy(() -> new Workload.Options(Duration.ofSeconds(1), 0, 1, 7, Map.of("drop-tables", 5)))
        .hasMessageContaining("unknown workload statement 'drop-tables'");
  }
}
