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
