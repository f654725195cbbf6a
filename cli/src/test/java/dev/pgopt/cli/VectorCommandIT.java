package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class VectorCommandIT {
  @TempDir
  Path home;

  @BeforeAll
  static void data(TestDatabase db) {
    db.execute("CREATE TABLE notes (id int PRIMARY KEY, topic int, embedding vector(12))",
        "INSERT INTO notes SELECT g, g % 5, (SELECT array_agg(random())::vector(12) FROM generate_series(1, 12) WHERE g > 0)"
            + " FROM generate_series(1, 3000) g",
        "CREATE INDEX notes_embedding ON notes USING hnsw (embedding vector_cosine_ops)",
        "ANALYZE notes");
  }

  private CliRun run(String... args) {
    return CliRun.of(Map.of(), home, args);
  }

  @Test
  void inspectListsColumnsAndIndexes(TestDatabase db) throws Exception {
    CliRun r = run("vector", "inspect", "--url", db.url());
    assertThat(r.exitCode()).as(r.all()).isZero();
    assertThat(r.out()).contains("public.notes.embedding").contains("vector(12)").contains("notes_embedding")
        .contains("vector_cosine_ops").contains("m=16 ef_construction=64").doesNotContain(db.cluster().password());
    JsonNode json = new ObjectMapper().readTree(run("vector", "inspect", "--url", db.url(), "--format", "json").out());
    assertThat(json.get("format").asText()).isEqualTo("pgopt.vector.inspect/v1");
    assertThat(json.get("indexes").get(0).get("opclass").asText()).isEqualTo("vector_cosine_ops");
    assertThat(json.get("columns").get(0).get("dimensions").asInt()).isEqualTo(12);
  }

  @Test
  void tuneRecommendsAndPlots(TestDatabase db) throws Exception {
    Path png = home.resolve("curve.png");
    CliRun r = run("vector", "tune", "--url", db.url(), "--table", "notes", "--column", "embedding", "--queries", "30",
        "--target-recall", "0.9", "--plot", png.toString());
    assertThat(r.exitCode()).as(r.all()).isZero();
    assertThat(r.out()).contains("Recommended: hnsw.ef_search = ").contains("ALTER DATABASE " + db.name() + " SET hnsw.ef_search")
        .contains("exact search");
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img.getWidth()).isEqualTo(900);

    JsonNode json = new ObjectMapper().readTree(run("vector", "tune", "--url", db.url(), "--table", "public.notes",
        "--column", "embedding", "--queries", "20", "--sweep", "10,40", "--format", "json").out());
    assertThat(json.get("format").asText()).isEqualTo("pgopt.vector.tune/v1");
    assertThat(json.get("points")).hasSize(2);
    assertThat(json.get("points").get(0).get("recall").asDouble()).isBetween(0.0, 1.0);
  }

  @Test
  void buildIndexPlansThenBuildsConcurrentlyWithAuditTrail(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE raw_notes (id int PRIMARY KEY, embedding vector(12))",
        "INSERT INTO raw_notes SELECT g, (SELECT array_agg(random())::vector(12) FROM generate_series(1, 12) WHERE g > 0)"
            + " FROM generate_series(1, 2000) g", "ANALYZE raw_notes");
    CliRun dry = run("vector", "build-index", "--url", db.url(), "--table", "raw_notes", "--column", "embedding",
        "--distance", "l2", "--m", "8", "--ef-construction", "32");
    assertThat(dry.exitCode()).as(dry.all()).isZero();
    assertThat(dry.out()).contains("hnsw index raw_notes_embedding_hnsw on public.raw_notes (embedding), 2,000 rows")
        .contains("CREATE INDEX CONCURRENTLY raw_notes_embedding_hnsw ON public.raw_notes USING hnsw (embedding vector_l2_ops)"
            + " WITH (m = 8, ef_construction = 32);")
        .contains("with max_parallel_maintenance_workers = 0").contains("Dry run: nothing was built.");
    try (java.sql.Connection c = db.connect()) {
      assertThat(dev.pgopt.testkit.Probe.exists(c, "SELECT 1 FROM pg_class WHERE relname = 'raw_notes_embedding_hnsw'")).isFalse();
    }
    CliRun built = run("vector", "build-index", "--url", db.url(), "--table", "raw_notes", "--column", "embedding",
        "--distance", "l2", "--m", "8", "--ef-construction", "32", "--execute");
    assertThat(built.exitCode()).as(built.all()).isZero();
    assertThat(built.out()).contains("Built raw_notes_embedding_hnsw in ");
    try (java.sql.Connection c = db.connect()) {
      assertThat(dev.pgopt.testkit.Probe.exists(c, "SELECT 1 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
          + " WHERE i.relname = 'raw_notes_embedding_hnsw' AND x.indisvalid")).isTrue();
      assertThat(dev.pgopt.testkit.Probe.count(c, "SELECT count(*) FROM pgopt.actions WHERE rule = 'vector.build_index'"))
          .isEqualTo(1);
    }
    CliRun again = run("vector", "build-index", "--url", db.url(), "--table", "raw_notes", "--column", "embedding", "--distance", "l2");
    assertThat(again.exitCode()).isEqualTo(64);
    assertThat(again.err()).contains("already exists: choose --name");
    CliRun badM = run("vector", "build-index", "--url", db.url(), "--table", "raw_notes", "--column", "embedding", "--m", "8",
        "--ef-construction", "10", "--name", "x");
    assertThat(badM.err()).contains("--ef-construction must be at least 2·m = 16");
    CliRun badMethod = run("vector", "build-index", "--url", db.url(), "--table", "raw_notes", "--column", "embedding",
        "--method", "btree");
    assertThat(badMethod.exitCode()).isEqualTo(64);
    assertThat(badMethod.err()).contains("--method must be hnsw or ivfflat");
  }

  @Test
  void tuneBuildComparesCandidatesOnASampleAndCleansUp(TestDatabase db) throws Exception {
    CliRun r = run("vector", "tune", "--url", db.url(), "--table", "notes", "--column", "embedding", "--queries", "20",
        "--build", "4:8,16:64", "--build-sample", "1500", "--target-recall", "0.9");
    assertThat(r.exitCode()).as(r.all()).isZero();
    assertThat(r.out()).contains("HNSW build candidates on 1,500 sampled rows of notes.embedding")
        .containsPattern("\\n  4 +8 +[0-9.]+ ").containsPattern("\\n  16 +64 +[0-9.]+ ");
    try (java.sql.Connection c = db.connect()) {
      assertThat(dev.pgopt.testkit.Probe.exists(c, "SELECT 1 FROM pg_class WHERE relname LIKE 'pgopt_tune_build_%'")).isFalse();
    }
    CliRun bad = run("vector", "tune", "--url", db.url(), "--table", "notes", "--column", "embedding", "--build", "16:8");
    assertThat(bad.exitCode()).isEqualTo(64);
    assertThat(bad.err()).contains("ef_construction from 2·m to 1000");
  }

  @Test
  void badInputIsOneLine(TestCluster cluster, TestDatabase db) throws Exception {
    CliRun notVector = run("vector", "tune", "--url", db.url(), "--table", "notes", "--column", "topic");
    assertThat(notVector.exitCode()).isEqualTo(64);
    assertThat(notVector.err().strip()).isEqualTo("pgopt: public.notes.topic is integer, not a vector column: tune works"
        + " on pgvector's vector and halfvec types");
    Path file = home.resolve("q.txt");
    Files.writeString(file, "[1,2,3]\n");
    CliRun dims = run("vector", "tune", "--url", db.url(), "--table", "notes", "--column", "embedding", "--query-file", file.toString());
    assertThat(dims.exitCode()).isEqualTo(64);
    assertThat(dims.err()).contains("query vector 1 has 3 dimensions; embedding has 12");
    CliRun unmet = run("vector", "tune", "--url", db.url(), "--table", "notes", "--column", "embedding", "--queries", "20",
        "--sweep", "1", "--target-recall", "1.0");
    assertThat(unmet.exitCode()).as(unmet.all()).isEqualTo(1);
    assertThat(unmet.out()).contains("Target not met.").contains("rebuild the index with a denser graph");
    try (TestDatabase bare = cluster.createDatabase()) {
      bare.execute("DROP EXTENSION vector");
      CliRun missing = run("vector", "inspect", "--url", bare.url());
      assertThat(missing.exitCode()).isEqualTo(3);
      assertThat(missing.err()).contains("run CREATE EXTENSION vector;").doesNotContain("Exception");
    }
  }
}
