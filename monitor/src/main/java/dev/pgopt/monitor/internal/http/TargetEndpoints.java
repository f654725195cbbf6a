package dev.pgopt.monitor.internal.http;

import static dev.pgopt.monitor.internal.http.RequestParams.duration;
import static dev.pgopt.monitor.internal.http.RequestParams.intParam;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.advise.Advisor;
import dev.pgopt.advise.Finding;
import dev.pgopt.analyze.health.HealthReport;
import dev.pgopt.analyze.health.HealthReportJson;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.monitor.internal.MonitorCore;
import dev.pgopt.monitor.internal.TargetRuntime;
import dev.pgopt.monitor.internal.collect.ActivitySnapshot;
import dev.pgopt.monitor.internal.collect.Series;
import dev.pgopt.monitor.internal.collect.SlowSnapshot;
import dev.pgopt.monitor.internal.store.HistoryReads;
import dev.pgopt.monitor.internal.store.StoreUnavailableException;
import dev.pgopt.vector.VectorJson;
import dev.pgopt.vector.inspect.PgvectorMissingException;
import dev.pgopt.vector.inspect.VectorInventory;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/** /api/targets and a target's state: health, metric history, tables, vector. */
final class TargetEndpoints {
  record TargetSummary(String name, String database, boolean up, String lastError, Instant lastSuccess,
      Map<String, Double> values, Boolean inRecovery, List<ActivitySnapshot.ReplicaRow> replicas, long alertsFiring,
      WorstFinding worstFinding) {}

  /** The most severe of the target's latest findings (they come sorted by severity), for the fleet's list. */
  record WorstFinding(String severity, String rule, String title, int findings) {}

  record CheckStatus(String name, String status) {}

  record HealthSummary(String target, String status, String generatedAt, List<CheckStatus> checks) {}

  record MetricHistory(String target, String metric, String help, long stepSeconds, List<List<Object>> points) {}

  record TableRow(String schema, String name, long liveTuples, long deadTuples, double deadPercent, long bytes,
      long modifiedSinceAnalyze, Instant lastVacuum, Instant lastAnalyze) {}

  record Tables(String target, Instant collectedAt, List<TableRow> tables, List<FindingSummary> findings) {}

  record VectorState(String target, Double vectorSearchMs, boolean installed, JsonNode inventory,
      List<FindingSummary> findings) {}

  /** A finding as the dashboard's target pages list it; the whole finding is at /findings. */
  record FindingSummary(String id, String rule, String severity, String title, Map<String, Object> evidence, String sql) {
    static FindingSummary of(Finding f) {
      return new FindingSummary(f.id(), f.rule(), f.severity().json(), f.title(), f.evidence(),
          f.action() == null ? null : f.action().sql());
    }
  }

  private final MonitorCore core;

  TargetEndpoints(MonitorCore core) {
    this.core = core;
  }

  List<TargetSummary> targets() {
    return core.targets().values().stream().map(rt -> {
      Map<String, Double> values = new LinkedHashMap<>();
      rt.values().entrySet().stream().sorted(Map.Entry.comparingByKey())
          .forEach(e -> values.put(e.getKey().key(), e.getValue()));
      long firing = core.alerts().active().stream().filter(a -> a.firing() && a.target().equals(rt.name())).count();
      Advisor.Advice advice = rt.findings();
      WorstFinding worst = advice == null || advice.findings().isEmpty() ? null : new WorstFinding(
          advice.findings().get(0).severity().json(), advice.findings().get(0).rule(),
          advice.findings().get(0).title(), advice.findings().size());
      return new TargetSummary(rt.name(), rt.database().display(), rt.up(), rt.up() ? null : rt.lastError(),
          rt.lastSuccess(), values, rt.latestActivity() == null ? null : rt.latestActivity().inRecovery(),
          rt.latestActivity() == null ? List.of() : rt.latestActivity().replicas(), firing, worst);
    }).toList();
  }

  Object health(Context ctx) throws DatabaseFailure {
    TargetRuntime rt = RequestParams.target(core, ctx);
    HealthReport report = rt.health();
    if ("true".equals(ctx.queryParam("detailed"))) {
      return HealthReportJson.write(report);
    }
    return new HealthSummary(rt.name(), report.status(), report.generatedAt(),
        report.checks().stream().map(c -> new CheckStatus(c.name(), c.status().json())).toList());
  }

  MetricHistory history(Context ctx) throws StoreUnavailableException {
    TargetRuntime rt = RequestParams.target(core, ctx);
    String metric = Optional.ofNullable(ctx.queryParam("metric")).orElseThrow(() -> new ApiError(400,
        "metric is required; one of " + Arrays.stream(Series.values()).map(Series::key).toList()));
    Series series = Series.byKey(metric).orElseThrow(() -> new ApiError(400, "unknown metric '" + metric + "'; one of "
        + Arrays.stream(Series.values()).map(Series::key).toList()));
    Duration range = duration(ctx, "range", Duration.ofHours(6));
    if (range.compareTo(Duration.ofDays(800)) > 0) {
      throw new ApiError(400, "range is at most 800d");
    }
    Duration step = duration(ctx, "step", Duration.ofSeconds(Math.max(15, range.toSeconds() / 240)));
    if (range.toSeconds() / Math.max(1, step.toSeconds()) > 5000) {
      throw new ApiError(400, "at most 5000 points per series: raise step");
    }
    Instant to = core.clock().instant();
    List<HistoryReads.Point> points = core.store().read(c -> HistoryReads.series(c, rt.name(), series.key(), to.minus(range),
        to.plusSeconds(1), step, core.config().store().rawRetention()));
    return new MetricHistory(rt.name(), series.key(), series.help(), step.toSeconds(),
        points.stream().map(p -> List.<Object>of(p.ts().getEpochSecond(), p.value())).toList());
  }

  Tables tables(Context ctx) {
    TargetRuntime rt = RequestParams.target(core, ctx);
    SlowSnapshot slow = rt.latestSlow();
    if (slow == null) {
      throw new ApiError(503, "no table statistics collected from " + rt.name() + " yet");
    }
    int limit = intParam(ctx, "limit", 50, 1, 1000);
    List<TableRow> rows = slow.tables().stream().sorted(Comparator.comparingLong(SlowSnapshot.TableRow::deadTuples).reversed())
        .limit(limit).map(t -> new TableRow(t.schema(), t.name(), t.liveTuples(), t.deadTuples(),
            t.liveTuples() + t.deadTuples() == 0 ? 0 : 100.0 * t.deadTuples() / (t.liveTuples() + t.deadTuples()),
            t.bytes(), t.modifiedSinceAnalyze(), t.lastVacuum(), t.lastAnalyze())).toList();
    return new Tables(rt.name(), slow.takenAt(), rows,
        findings(rt, f -> f.rule().startsWith("table.") || f.rule().startsWith("xid.")));
  }

  VectorState vector(Context ctx) throws DatabaseFailure {
    TargetRuntime rt = RequestParams.target(core, ctx);
    String inventory = rt.worker().useSession(s -> s.readOnly(c -> {
      try {
        return VectorJson.inspect(VectorInventory.read(c, PlanGuard.of(rt.config().allowUserFunctions()),
            s.serverVersionNum()), rt.database().display(), core.clock().instant());
      } catch (PgvectorMissingException e) {
        return null;
      }
    }));
    JsonNode tree;
    try {
      tree = inventory == null ? null : ApiServer.JSON.readTree(inventory);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the vector inventory is not valid JSON", e);
    }
    return new VectorState(rt.name(), rt.values().get(Series.VECTOR_SEARCH_MS), inventory != null, tree,
        findings(rt, f -> f.rule().startsWith("vector.")));
  }

  private static List<FindingSummary> findings(TargetRuntime rt, Predicate<Finding> which) {
    Advisor.Advice advice = rt.findings();
    return advice == null ? List.of() : advice.findings().stream().filter(which).map(FindingSummary::of).toList();
  }
}
