package dev.pgopt.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.internal.alert.AlertEngine;
import dev.pgopt.monitor.internal.alert.AlertRule;
import dev.pgopt.monitor.internal.collect.Series;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The alert state machine over plain values and an explicit clock. */
class AlertEngineTest {
  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  static AlertEngine engine(Duration repeat) {
    return new AlertEngine(AlertRule.configured(Map.of("connection_usage", new MonitorConfig.RuleSettings(null, 70.0, 90.0,
        Duration.ofMinutes(2)))), repeat, (target, rule) -> target.equals("budgeted") && rule.equals("database_size") ? 1000.0 : null);
  }

  static List<String> events(List<AlertEngine.Event> events) {
    return events.stream().map(e -> e.alert().rule() + ":" + e.event().json() + ":" + e.alert().severity().json()).toList();
  }

  @Test
  void firesOnlyAfterTheBreachHoldsEscalatesRepeatsAndResolvesOnce() {
    AlertEngine e = engine(Duration.ofHours(1));
    assertThat(e.evaluate("app", Map.of(Series.CONNECTION_USAGE_PERCENT, 75.0), T0)).isEmpty();
    assertThat(e.evaluate("app", Map.of(Series.CONNECTION_USAGE_PERCENT, 76.0), T0.plusSeconds(60))).isEmpty();
    assertThat(events(e.evaluate("app", Map.of(Series.CONNECTION_USAGE_PERCENT, 77.0), T0.plusSeconds(120))))
        .containsExactly("connection_usage:firing:warning");
    assertThat(e.evaluate("app", Map.of(Series.CONNECTION_USAGE_PERCENT, 78.0), T0.plusSeconds(180))).as("dedup").isEmpty();
    assertThat(events(e.evaluate("app", Map.of(Series.CONNECTION_USAGE_PERCENT, 95.0), T0.plusSeconds(240))))
        .containsExactly("connection_usage:escalated:critical");
    assertThat(e.evaluate("app", Map.of(), T0.plusSeconds(300))).as("no data never resolves").isEmpty();
    assertThat(events(e.evaluate("app", Map.of(Series.CONNECTION_USAGE_PERCENT, 95.0), T0.plusSeconds(240 + 3600))))
        .containsExactly("connection_usage:repeat:critical");
    assertThat(events(e.evaluate("app", Map.of(Series.CONNECTION_USAGE_PERCENT, 10.0), T0.plusSeconds(4000))))
        .containsExactly("connection_usage:resolved:critical");
    assertThat(e.evaluate("app", Map.of(Series.CONNECTION_USAGE_PERCENT, 10.0), T0.plusSeconds(4100))).isEmpty();
  }

  @Test
  void forgettingATargetResolvesItsFiringAlertsAndDropsItsPendingOnes() {
    AlertEngine e = engine(Duration.ZERO);
    e.evaluate("gone", Map.of(Series.CONNECTION_USAGE_PERCENT, 95.0), T0);
    e.evaluate("gone", Map.of(Series.CONNECTION_USAGE_PERCENT, 95.0), T0.plusSeconds(120));
    e.evaluate("pending", Map.of(Series.CONNECTION_USAGE_PERCENT, 95.0), T0);
    e.evaluate("kept", Map.of(Series.CONNECTION_USAGE_PERCENT, 95.0), T0);
    assertThat(events(e.forget("gone", T0.plusSeconds(130)))).containsExactly("connection_usage:resolved:critical");
    assertThat(e.forget("pending", T0.plusSeconds(130))).as("never fired: nothing to resolve").isEmpty();
    assertThat(e.active()).singleElement().satisfies(a -> assertThat(a.target()).isEqualTo("kept"));
  }

  @Test
  void aBreachShorterThanTheDurationNeverFires() {
    AlertEngine e = engine(Duration.ZERO);
    e.evaluate("app", Map.of(Series.CONNECTION_USAGE_PERCENT, 99.0), T0);
    assertThat(e.evaluate("app", Map.of(Series.CONNECTION_USAGE_PERCENT, 5.0), T0.plusSeconds(60))).isEmpty();
    assertThat(e.evaluate("app", Map.of(Series.CONNECTION_USAGE_PERCENT, 99.0), T0.plusSeconds(90))).isEmpty();
  }

  @Test
  void lowerIsWorseForTheCacheHitRatioAndTheSizeBudgetIsPerTarget() {
    AlertEngine e = new AlertEngine(AlertRule.configured(Map.of("cache_hit_ratio",
        new MonitorConfig.RuleSettings(null, null, null, Duration.ZERO))), Duration.ZERO,
        (target, rule) -> target.equals("budgeted") ? (rule.equals("database_size") ? 1000.0 : 50.0) : null);
    assertThat(events(e.evaluate("app", Map.of(Series.CACHE_HIT_PERCENT, 70.0), T0))).containsExactly("cache_hit_ratio:firing:critical");
    // the cost forecast against the target's monthly budget: warning past 80 % of it, critical past it
    assertThat(events(e.evaluate("budgeted", Map.of(Series.COST_FORECAST_MONTHLY, 45.0), T0))).containsExactly("cost_budget:firing:warning");
    assertThat(e.evaluate("app", Map.of(Series.COST_FORECAST_MONTHLY, 1e9), T0)).as("no budget, no rule").isEmpty();
    assertThat(events(e.evaluate("budgeted", Map.of(Series.DATABASE_BYTES, 850.0), T0))).containsExactly("database_size:firing:warning");
    assertThat(e.evaluate("unbudgeted", Map.of(Series.DATABASE_BYTES, 1e12), T0)).as("no budget, no rule").isEmpty();
  }

  @Test
  void aRestoredAlertResolvesInsteadOfFiringAgain() {
    AlertEngine e = engine(Duration.ZERO);
    e.restore("id-1", "app", "connection_usage", dev.pgopt.monitor.internal.alert.Severity.CRITICAL, T0, T0.plusSeconds(10));
    assertThat(e.evaluate("app", Map.of(Series.CONNECTION_USAGE_PERCENT, 95.0), T0.plusSeconds(200))).isEmpty();
    List<AlertEngine.Event> resolved = e.evaluate("app", Map.of(Series.CONNECTION_USAGE_PERCENT, 5.0), T0.plusSeconds(300));
    assertThat(events(resolved)).containsExactly("connection_usage:resolved:critical");
    assertThat(resolved.get(0).alert().id()).isEqualTo("id-1");
  }

  @Test
  void disabledRulesAreLeftOut() {
    List<AlertRule> rules = AlertRule.configured(Map.of("xid_age", new MonitorConfig.RuleSettings(false, null, null, null)));
    assertThat(rules).extracting(AlertRule::name).doesNotContain("xid_age").contains("target_down");
  }
}
