package dev.pgopt.monitor.internal.collect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.cloud.price.PriceTables;
import dev.pgopt.monitor.MonitorConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class CostStateTest {
  private static final long GIB = 1L << 30;
  // neon-launch: storage 0.35/GB-month, nothing included; no instance
  private final MonitorConfig.Cost neon = new MonitorConfig.Cost(PriceTables.shipped().require("neon-launch"), Optional.empty(),
      Optional.of(100.0));

  @Test
  void aGrowingDatabaseForecastsItsSizeAtTheEndOfTheMonth() {
    CostState s = new CostState(neon);
    Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
    Map<Series, Double> v = null;
    // 100 GiB growing 10 GiB a day, sampled every 15 minutes for two days
    for (int i = 0; i <= 2 * 96; i++) {
      Instant at = t0.plus(Duration.ofMinutes(15L * i));
      v = s.values(at, 100 * GIB + (long) (10.0 * GIB * i / 96));
    }
    // now 120 GiB on Dec 3 00:00; 29 days to Jan 1 add 290 GiB: 410 GiB × 0.35
    assertThat(v.get(Series.COST_MONTHLY)).isCloseTo(42.0, Offset.offset(0.01));
    assertThat(v.get(Series.COST_FORECAST_MONTHLY)).isCloseTo(143.5, Offset.offset(0.5));
  }

  @Test
  void withoutAnHourOfHistoryOrWhenShrinkingTheForecastIsTheCostNow() {
    CostState s = new CostState(new MonitorConfig.Cost(PriceTables.shipped().require("rds"), Optional.of(0.065), Optional.empty()));
    Instant t0 = Instant.parse("2026-12-10T00:00:00Z");
    Map<Series, Double> first = s.values(t0, 100 * GIB);
    double now = 100 * 0.115 + 0.065 * 730.5;
    assertThat(first.get(Series.COST_MONTHLY)).isCloseTo(now, Offset.offset(0.01));
    assertThat(first.get(Series.COST_FORECAST_MONTHLY)).isEqualTo(first.get(Series.COST_MONTHLY));
    s.values(t0.plus(Duration.ofHours(1)), 90 * GIB);
    Map<Series, Double> later = s.values(t0.plus(Duration.ofHours(2)), 80 * GIB);
    assertThat(later.get(Series.COST_FORECAST_MONTHLY)).isEqualTo(later.get(Series.COST_MONTHLY));
  }

  @Test
  void samplesCloserThanAQuarterHourAreNotKeptTwice() {
    CostState s = new CostState(neon);
    Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
    // a burst of samples a second apart must not weigh the trend: only the first of each quarter hour is kept
    for (int i = 0; i < 3600; i++) {
      s.values(t0.plusSeconds(i), 100 * GIB);
    }
    // then 1 GiB more an hour later: the line through 0, 15, 30, 45 and 60 min rises 0.8 GiB an hour (kept 3,600
    // times, the flat burst would have flattened it to nothing); 743 h to Jan 1 add 594 GiB: 695 GiB × 0.35
    Map<Series, Double> v = s.values(t0.plus(Duration.ofHours(1)), 101 * GIB);
    assertThat(v.get(Series.COST_FORECAST_MONTHLY)).isCloseTo(243.4, Offset.offset(0.5));
  }
}
