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
