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

/**
 * A build that outlives the statement timeout, the connect timeout and 5 s together: the socket timeout pgjdbc gets
 * from those (8 s here) used to cut the connection mid-build. An HNSW build over 40,000 random 128-dimension vectors (ef_construction 128, 1 MB of maintenance_work_mem)
 * takes 15-40 s on two cores.
 */
@ExtendWith(PostgresExtension.class)
class LongBuildIT {
  @TempDir
  Path home;

  @Test
  void aBuildLongerThanTheSocketTimeoutOfShortStatementsFinishesAndIsRecorded(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE docs (id int PRIMARY KEY, embedding vector(128))",
          "INSERT INTO docs SELECT g, (SELECT array_agg(random())::vector FROM generate_series(1, 128) WHERE g > 0) "
              + "FROM generate_series(1, 40000) g",
          "ANALYZE docs");
      long start = System.nanoTime();
      CliRun r = CliRun.of(Map.of(), home, "vector", "build-index", "--url", db.url(), "--table", "docs", "--column", "embedding",
          "--distance", "l2", "--workers", "0", "--ef-construction", "128", "--max-memory", "1MB", "--statement-timeout", "1s", "--connect-timeout", "2s", "--execute");
      double seconds = (System.nanoTime() - start) / 1e9;
      assertThat(r.exitCode()).as(r.all()).isZero();
      try (Connection c = db.connect()) {
        assertThat(Probe.text(c, "SELECT status FROM pgopt.actions WHERE rule = 'vector.build_index'")).isEqualTo("succeeded");
        assertThat(Probe.count(c, "SELECT count(*) FROM pg_index WHERE indisvalid AND indrelid = 'docs'::regclass "
            + "AND indexrelid::regclass::text LIKE '%hnsw%'")).isEqualTo(1);
      }
      // the test proves something only when the build outlived the old 1 + 2 + 5 s socket timeout
      System.out.printf("LongBuildIT: build-index took %.1f s%n", seconds);
      assertThat(seconds).as("build time").isGreaterThan(8);
    }
  }
}
