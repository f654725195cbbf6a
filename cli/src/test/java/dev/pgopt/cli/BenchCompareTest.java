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
}
