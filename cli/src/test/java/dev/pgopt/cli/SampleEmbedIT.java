package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class SampleEmbedIT {
  @TempDir
  Path home;

  private static void repositories(TestDatabase db) {
    db.execute("CREATE TABLE repositories (id bigint PRIMARY KEY, name text, description text, embedding vector(384))",
        "INSERT INTO repositories VALUES (1, 'postgresql-15', 'object-relational SQL database server'),"
            + " (2, 'mariadb-server', 'MariaDB database server binaries'),"
            + " (3, 'gnuchess', 'chess-playing program against the computer')");
  }

  @Test
  void embedsOnceAndReusesTheCacheOnAnotherDatabase(TestCluster cluster, TestDatabase db) throws Exception {
    repositories(db);
    Map<String, String> env = Map.of("PGOPT_HOME", home.toString());
    CliRun first = CliRun.of(env, home, "sample", "embed", "--url", db.url());
    assertThat(first.exitCode()).as(first.all()).isZero();
    assertThat(first.out()).contains("embedded 3 repositories").contains("(3 computed, 0 from the cache)");
    try (Connection c = db.connect()) {
      assertThat(Probe.count(c, "SELECT count(*) FROM repositories WHERE vector_dims(embedding) = 384")).isEqualTo(3);
      // The two databases are nearer each other than to chess.
      assertThat(Probe.number(c, "SELECT (SELECT embedding FROM repositories WHERE id = 1) <=> (SELECT embedding FROM repositories WHERE id = 2)"))
          .isLessThan(Probe.number(c, "SELECT (SELECT embedding FROM repositories WHERE id = 1) <=> (SELECT embedding FROM repositories WHERE id = 3)"));
    }
    CliRun again = CliRun.of(env, home, "sample", "embed", "--url", db.url());
    assertThat(again.out()).contains("embedded 0 repositories");
    try (TestDatabase other = cluster.createDatabase()) {
      repositories(other);
      CliRun cached = CliRun.of(env, home, "sample", "embed", "--url", other.url());
      assertThat(cached.out()).as(cached.all()).contains("(0 computed, 3 from the cache)");
    }
  }

  @Test
  void saysWhenThereIsNoSampleDataset(TestCluster cluster) {
    try (TestDatabase empty = cluster.createDatabase()) {
      CliRun r = CliRun.of(Map.of("PGOPT_HOME", home.toString()), home, "sample", "embed", "--url", empty.url());
      assertThat(r.exitCode()).isEqualTo(3);
      assertThat(r.err()).contains("no sample dataset").contains("run pgopt sample load first");
    }
  }
}
