package dev.pgopt.load.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The open-loop schedule and the value draws, on plain numbers. */
class ScheduleAndDrawsTest {
  @Test
  void requestsAreDueEvenlyAndOnlyTheWindowAfterTheWarmUpCounts() {
    RequestClock clock = new RequestClock(1_000, 400, Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(2));
    assertThat(clock.due(0)).isEqualTo(1_000);
    assertThat(clock.due(400)).isEqualTo(1_000 + 1_000_000_000L);
    assertThat(clock.scheduledInWindow()).isEqualTo(2000);
    assertThat(clock.measured(clock.due(399))).isFalse();
    assertThat(clock.measured(clock.due(400))).isTrue();
    assertThat(clock.measured(clock.due(2399))).isTrue();
    assertThat(clock.beforeEnd(clock.due(2400))).isFalse();
    assertThat(clock.drainOver(1_000 + 7_999_999_999L)).isFalse();
    assertThat(clock.drainOver(1_000 + 8_000_000_000L)).isTrue();
    // a rate that does not divide a second
    assertThat(new RequestClock(0, 3, Duration.ZERO, Duration.ofSeconds(10), Duration.ZERO).scheduledInWindow()).isEqualTo(30);
  }

  @Test
  void poissonArrivalsHaveExponentialGapsOfTheRightMean() {
    RequestClock clock = new RequestClock(0, 1000, Duration.ZERO, Duration.ofSeconds(100), Duration.ZERO, true, 9);
    long previous = clock.nextDue();
    assertThat(previous).isZero();
    int n = 50_000;
    double sum = 0;
    double squares = 0;
    for (int i = 0; i < n; i++) {
      long due = clock.nextDue();
      double gap = (due - previous) / 1e6;
      sum += gap;
      squares += gap * gap;
      previous = due;
    }
    double mean = sum / n;
    double sd = Math.sqrt(squares / n - mean * mean);
    assertThat(mean).as("ms between requests at 1000/s").isCloseTo(1.0, within(0.02));
    assertThat(sd / mean).as("coefficient of variation: 1 for exponential gaps, 0 for even ones").isCloseTo(1.0, within(0.03));
    assertThat(clock.scheduledInWindow()).isBetween(100_000L - 1500, 100_000L + 1500);
  }

  @Test
  void commonValuesAreDrawnAsOftenAsTheyOccurAndTheRestFromTheHistogram() {
    // 30 % NULL, 35 % 'a', 14 % 'b': among non-NULL rows 'a' is half, 'b' a fifth, the histogram the rest
    ValueDistribution d = new ValueDistribution(List.of("a", "b"), List.of(0.35, 0.14), 0.3, List.of("c", "d", "e"));
    Map<String, Integer> counts = new HashMap<>();
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 100_000; i++) {
      counts.merge(d.draw(random), 1, Integer::sum);
    }
    assertThat(counts.keySet()).containsOnly("a", "b", "c", "d", "e");
    assertThat(counts.get("a") / 1e5).isCloseTo(0.5, within(0.01));
    assertThat(counts.get("b") / 1e5).isCloseTo(0.2, within(0.01));
    assertThat(d.commonShare()).isCloseTo(0.7, within(1e-9));
  }

  @Test
  void aDenseIntegerColumnIsDrawnBetweenItsBoundsASparseOneOnlyAtThem() {
    List<String> bounds = List.of("1", "100", "200", "300", "400", "500", "600", "700", "800", "900", "1000");
    ValueDistribution ids = new ValueDistribution(List.of(), List.of(), 0, bounds, 1000);
    ValueDistribution sparse = new ValueDistribution(List.of(), List.of(), 0, bounds, 120);
    java.util.Set<String> dense = new java.util.HashSet<>();
    java.util.Set<String> fromSparse = new java.util.HashSet<>();
    SplittableRandom random = new SplittableRandom(8);
    for (int i = 0; i < 10_000; i++) {
      String v = ids.draw(random);
      assertThat(Long.parseLong(v)).isBetween(1L, 1000L);
      dense.add(v);
      fromSparse.add(sparse.draw(random));
    }
    assertThat(dense.size()).as("distinct ids drawn").isGreaterThan(900);
    assertThat(fromSparse).isSubsetOf(bounds);
    // text bounds are never interpolated
    assertThat(new ValueDistribution(List.of(), List.of(), 0, List.of("a", "m", "z"), 1e6).draw(random)).isIn("a", "m", "z");
  }

  @Test
  void withoutAHistogramTheCommonValuesAreTheWhole() {
    ValueDistribution d = new ValueDistribution(List.of("on", "off"), List.of(0.6, 0.2), 0.0, List.of());
    Map<String, Integer> counts = new HashMap<>();
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < 40_000; i++) {
      counts.merge(d.draw(random), 1, Integer::sum);
    }
    assertThat(counts.get("on") / 4e4).isCloseTo(0.75, within(0.01));
    assertThatThrownBy(() -> new ValueDistribution(List.of(), List.of(), 0, List.of())).hasMessageContaining("no statistics");
  }
}
