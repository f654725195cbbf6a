package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The evaluation command runs end to end and leaves the database as it found it. */
@ExtendWith(PostgresExtension.class)
class SampleEvaluateIT {
  @TempDir
  Path home;

  @Test
  void comparesThreeConfigurationsAndDropsWhatItBuilt(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase(); Connection c = db.connect()) {
      assertThat(CliRun.of(Map.of(), home, "sample", "load", "--url", db.url(), "--scale", "0.05").exitCode()).isZero();
      long indexesBefore = Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'");
      Path report = home.resolve("evaluation.md");
      CliRun r = CliRun.of(Map.of(), home, "sample", "evaluate", "--url", db.url(), "--duration", "1s", "--clients", "2",
          "--report", report.toString());
      assertThat(r.exitCode()).as(r.all()).isZero();
      assertThat(r.out()).contains("| no advice | 0 | 0 B |").contains("| pgopt advise (").contains("| every filtered column (");
      assertThat(Files.readString(report)).isEqualTo(r.out().strip() + "\n");
      assertThat(Probe.count(c, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'")).isEqualTo(indexesBefore);
    }
  }
}
