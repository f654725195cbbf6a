package dev.pgopt.advise.prove;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When the proof counts a statement as slower with the proposed indexes: beyond noise, never on noise alone. */
class SlowdownTest {
  private static StatementTimer.Timing t(double median, double min, double max) {
    return new StatementTimer.Timing(median, min, max, null);
  }

  @Test
  void aMedianAFifthSlowerCountsWhenItIsBeyondEveryRunBefore() {
    assertThat(IndexProof.slower(t(100, 80, 115), t(125, 90, 160))).isTrue();
    assertThat(IndexProof.slower(t(23, 20, 24), t(91, 88, 95))).as("the trap").isTrue();
    // a statement whose runs spread wider than the difference: an index its plan did not need measured "slower"
    assertThat(IndexProof.slower(t(23.3, 19, 30), t(28.2, 24, 31))).isFalse();
    assertThat(IndexProof.slower(t(100, 80, 130), t(125, 90, 160))).isFalse();
  }

  @Test
  void aTenthSlowerCountsOnlyWhenNoRunOverlaps() {
    // Q9's shape: every run with the index slower than every run without, medians 1.15x apart
    assertThat(IndexProof.slower(t(1000, 980, 1020), t(1150, 1130, 1170))).isTrue();
    // the same medians with overlapping runs: noise on this machine
    assertThat(IndexProof.slower(t(1000, 900, 1200), t(1150, 1100, 1250))).isFalse();
  }

  @Test
  void smallOrTinyDifferencesNeverCount() {
    assertThat(IndexProof.slower(t(1000, 990, 1010), t(1050, 1040, 1060))).as("5 %, separated").isFalse();
    assertThat(IndexProof.slower(t(0.2, 0.2, 0.2), t(0.9, 0.9, 0.9))).as("under a millisecond more").isFalse();
    assertThat(IndexProof.slower(t(100, 100, 100), StatementTimer.Timing.failed("division by zero"))).isFalse();
  }
}
