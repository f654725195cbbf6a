package dev.pgopt.advise.prove;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The plan cache's choice, computed: plain numbers, no server. */
class GenericPlanCheckTest {
  @Test
  void aSessionSwitchesWhenItsFirstFiveCustomEstimatesAverageAboveTheGenericOne() {
    // two calls, half the time each, estimates 10 and 30, generic 15: five draws average above 15 when at least two
    // of them are the 30s (50 + 20k > 75): 1 - (1 + 5) / 32 of the sessions
    assertThat(GenericPlanCheck.switchShare(new double[] {0.5, 0.5}, new double[] {10, 30}, 15)).isCloseTo(26.0 / 32, within(1e-9));
    assertThat(GenericPlanCheck.switchShare(new double[] {0.5, 0.5}, new double[] {10, 30}, 30)).isZero();
    assertThat(GenericPlanCheck.switchShare(new double[] {0.5, 0.5}, new double[] {10, 30}, 9)).isCloseTo(1, within(1e-9));
    // a call that never happens does not count
    assertThat(GenericPlanCheck.switchShare(new double[] {1, 0}, new double[] {10, 1000}, 11)).isZero();
  }

  @Test
  void slowerNeedsSwitchingSessionsARatioAndAMillisecond() {
    assertThat(verdict(0.5, 10, 30, 0.2).slower()).isTrue();
    assertThat(verdict(0.5, 10, 30, 0.01).slower()).as("hardly any session switches").isFalse();
    assertThat(verdict(0.5, 10, 14, 0.5).slower()).as("within 1.5 times").isFalse();
    assertThat(verdict(0.5, 0.1, 0.9, 0.5).slower()).as("less than a millisecond more").isFalse();
  }

  private static GenericPlanCheck.Verdict verdict(double weight, double customMs, double genericMs, double share) {
    return new GenericPlanCheck.Verdict(customMs, genericMs, 100, 90, share, 0.1,
        java.util.List.of(new GenericPlanCheck.CallTiming("a value", 1, customMs, genericMs, 100)), null);
  }
}
