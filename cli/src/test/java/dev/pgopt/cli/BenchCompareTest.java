package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** When a difference between two bench reports counts as a change. */
class BenchCompareTest {
  @Test
  void repeatedRunsCountOnlyWhenTheirRangesDoNotOverlap() {
    assertThat(BenchCompareCommand.change("p95", List.of(4.0, 4.4, 4.2), List.of(1.0, 1.3, 1.1)).verdict())
        .isEqualTo("lower in every run");
    assertThat(BenchCompareCommand.change("p95", List.of(1.0, 1.1), List.of(1.2, 1.25)).verdict())
        .isEqualTo("higher in every run");
    assertThat(BenchCompareCommand.change("p95", List.of(1.0, 2.0), List.of(1.5, 2.5)).verdict())
        .isEqualTo("runs overlap: no clear change");
  }

  @Test
  void singleRunsAreJudgedAgainstTheMachinesRunToRunSpread() {
    BenchCompareCommand.Change faster = BenchCompareCommand.change("p95", List.of(10.0), List.of(7.0));
    assertThat(faster.ratio()).isEqualTo(0.7);
    assertThat(faster.verdict()).isEqualTo("likely lower (single runs)");
    assertThat(BenchCompareCommand.change("p95", List.of(10.0), List.of(11.5)).verdict()).isEqualTo("within single-run noise");
    assertThat(BenchCompareCommand.change("p95", List.of(0.0), List.of(1.0)).verdict()).isEqualTo("no value before");
  }

  @Test
  void aStatementRecordedUnderAnotherQueryidIsMatchedByItsText(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    String run = "{\"result\": {\"achieved_rate\": 100, \"latency\": {\"p50\": 1, \"p95\": %s, \"p99\": 3},"
        + " \"statements\": [{\"query_id\": %s, \"query\": \"SELECT 1 FROM t WHERE k = $1\", \"completed\": 10,"
        + " \"latency\": {\"p95\": %s}}]}}";
    java.nio.file.Path before = dir.resolve("before.json");
    java.nio.file.Path after = dir.resolve("after.json");
    java.nio.file.Files.writeString(before, run.formatted("40", "111", "40"));
    // after the change the replay's untyped parameters put the same statement under another queryid
    java.nio.file.Files.writeString(after, run.formatted("2", "222", "2"));
    CliRun r = CliRun.of(java.util.Map.of(), dir, "bench", "compare", before.toString(), after.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("likely lower (single runs)           SELECT 1 FROM t WHERE k = $1")
        .doesNotContain("only after").doesNotContain("only before");
  }
}
