package dev.pgopt.monitor.internal.metrics;

import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.internal.collect.CustomMetricQuery;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The user's metrics ({@code pgopt_custom_<name>}) and the opt-in {@code pgopt_setting}: multi-gauges whose rows are
 * replaced at each collection, per target. A collection that failed removes that target's rows (a stale value would
 * read as current) and counts in {@code pgopt_custom_metric_errors_total{metric, target, reason}}.
 */
public final class CustomMeters {
  // a key no custom metric can have (names are [a-z][a-z0-9_]*)
  private static final String SETTINGS = " settings";
  private final MeterRegistry registry;
  private final Map<String, MultiGauge> gauges = new HashMap<>();
  // metric -> target -> rows; every register() call gets all targets' rows, as it replaces the whole set
  private final Map<String, Map<String, List<MultiGauge.Row<?>>>> rows = new HashMap<>();

  public CustomMeters(MeterRegistry registry, List<MonitorConfig.CustomMetric> metrics, boolean settings) {
    this.registry = registry;
    for (MonitorConfig.CustomMetric m : metrics) {
      gauges.put(m.name(), MultiGauge.builder("pgopt.custom." + m.name()).description(m.help()).register(registry));
    }
    if (settings) {
      gauges.put(SETTINGS, MultiGauge.builder("pgopt.setting")
          .description("numeric server settings as pg_settings shows them (in the unit of the unit label)").register(registry));
    }
  }

  public synchronized void collected(String metric, String target, List<CustomMetricQuery.Row> values) {
    List<MultiGauge.Row<?>> out = new ArrayList<>();
    for (CustomMetricQuery.Row r : values) {
      Tags tags = Tags.of("target", target);
      for (Map.Entry<String, String> l : r.labels().entrySet()) {
        tags = tags.and(l.getKey(), l.getValue());
      }
      out.add(MultiGauge.Row.of(tags, r.value()));
    }
    replace(metric, target, out);
  }

  public synchronized void failed(String metric, String target, String reason) {
    replace(metric, target, List.of());
    Counter.builder("pgopt.custom.metric.errors").description("custom metric collections that gave no series, by reason"
        + " (cardinality, timeout, refused, error)").tags("metric", metric, "target", target, "reason", reason)
        .register(registry).increment();
  }

  /** @param settings name -> (unit, value) */
  public synchronized void settings(String target, Map<String, Map.Entry<String, Double>> settings) {
    List<MultiGauge.Row<?>> out = new ArrayList<>();
    new TreeMap<>(settings).forEach((name, v) -> out.add(MultiGauge.Row.of(
        Tags.of("target", target, "name", name, "unit", v.getKey()), v.getValue())));
    replace(SETTINGS, target, out);
  }

  private void replace(String metric, String target, List<MultiGauge.Row<?>> targetRows) {
    Map<String, List<MultiGauge.Row<?>>> byTarget = rows.computeIfAbsent(metric, k -> new TreeMap<>());
    byTarget.put(target, targetRows);
    List<MultiGauge.Row<?>> all = new ArrayList<>();
    byTarget.values().forEach(all::addAll);
    gauges.get(metric).register(all, true);
  }
}
