package dev.pgopt.monitor.internal.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.advise.Advisor;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.FindingsJson;
import dev.pgopt.analyze.health.HealthReport;
import dev.pgopt.analyze.health.HealthReportJson;
import dev.pgopt.analyze.plan.ExplainReportJson;
import dev.pgopt.analyze.plan.PlanInsights;
import dev.pgopt.analyze.workload.StatementDelta;
import dev.pgopt.analyze.workload.WorkloadWindow;
import dev.pgopt.apply.Applier;
import dev.pgopt.collect.PlanCollector;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementStatisticsUnavailable;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.monitor.internal.MonitorCore;
import dev.pgopt.monitor.internal.TargetRuntime;
import dev.pgopt.monitor.internal.collect.Derivations;
import dev.pgopt.monitor.internal.collect.Series;
import dev.pgopt.monitor.internal.collect.SlowSnapshot;
import dev.pgopt.monitor.internal.maintenance.MaintenanceRunner;
import dev.pgopt.monitor.internal.maintenance.MaintenanceTask;
import dev.pgopt.monitor.internal.store.HistoryReads;
import dev.pgopt.monitor.internal.store.StoreUnavailableException;
import dev.pgopt.vector.VectorJson;
import dev.pgopt.vector.inspect.PgvectorMissingException;
import dev.pgopt.vector.inspect.VectorInventory;
import io.javalin.http.Context;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** What each endpoint answers. Every input is checked and refused with a one-line reason (ApiError). */
final class Endpoints {
  private static final Pattern CLIENT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  private static final int MAX_SQL = 20_000;

  private final MonitorCore core;

  Endpoints(MonitorCore core) {
    this.core = core;
  }

  List<Map<String, Object>> targets() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (TargetRuntime rt : core.targets().values()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", rt.name());
      m.put("database", rt.database().display());
      m.put("up", rt.up());
      m.put("last_error", rt.up() ? null : rt.lastError());
      m.put("last_success", rt.lastSuccess());
      Map<String, Object> values = new LinkedHashMap<>();
      rt.values().entrySet().stream().sorted(Map.Entry.comparingByKey())
          .forEach(e -> values.put(e.getKey().key(), e.getValue()));
      m.put("values", values);
      m.put("in_recovery", rt.latestActivity() == null ? null : rt.latestActivity().inRecovery());
      m.put("replicas", rt.latestActivity() == null ? List.of() : rt.latestActivity().replicas());
      m.put("alerts_firing", core.alerts().active().stream().filter(a -> a.firing() && a.target().equals(rt.name())).count());
      out.add(m);
    }
    return out;
  }

  Object health(Context ctx) throws DatabaseFailure {
    TargetRuntime rt = target(ctx);
    HealthReport report = rt.health();
    boolean detailed = "true".equals(ctx.queryParam("detailed"));
    if (detailed) {
      return HealthReportJson.write(report);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", rt.name());
    m.put("status", report.status());
    m.put("generated_at", report.generatedAt());
    List<Map<String, Object>> checks = new ArrayList<>();
    report.checks().forEach(c -> checks.add(Map.of("name", c.name(), "status", c.status().json())));
    m.put("checks", checks);
    return m;
  }

  Object queries(Context ctx) throws StoreUnavailableException {
    TargetRuntime rt = target(ctx);
    String type = Optional.ofNullable(ctx.queryParam("type")).orElse("usage");
    int limit = intParam(ctx, "limit", 20, 1, 500);
    Duration range = duration(ctx, "range", Duration.ofHours(1));
    Instant to = core.clock().instant();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", rt.name());
    m.put("type", type);
    switch (type) {
      case "slow", "usage" -> {
        String order = type.equals("slow") ? "mean_ms" : "total_ms";
        m.put("range_seconds", range.toSeconds());
        List<HistoryReads.StatementTotals> rows;
        String source = "history";
        try {
          rows = core.store().read(c -> HistoryReads.topStatements(c, rt.name(), to.minus(range), to.plusSeconds(1), order, limit));
        } catch (StoreUnavailableException e) {
          rows = fromWindow(rt.latestWindow(), order, limit);
          source = "latest window (history store unavailable: " + e.getMessage() + ")";
        }
        m.put("source", source);
        List<Map<String, Object>> list = new ArrayList<>();
        for (HistoryReads.StatementTotals s : rows) {
          Map<String, Object> q = new LinkedHashMap<>();
          q.put("queryid", Long.toString(s.queryId()));
          q.put("query", s.query());
          q.put("role", s.role());
          q.put("calls", s.calls());
          q.put("total_ms", s.totalMs());
          q.put("mean_ms", s.meanMs());
          q.put("rows", s.rows());
          q.put("hit_percent", s.blocksHit() + s.blocksRead() == 0 ? null : 100.0 * s.blocksHit() / (s.blocksHit() + s.blocksRead()));
          q.put("temp_blocks", s.tempBlocks());
          list.add(q);
        }
        m.put("queries", list);
      }
      case "unused" -> {
        SlowSnapshot slow = rt.latestSlow();
        if (slow == null) {
          throw new ApiError(503, "no table statistics collected from " + rt.name() + " yet; retry after the first statements interval");
        }
        m.put("collected_at", slow.takenAt());
        m.put("note", "idx_scan = 0 since the statistics were last reset; unique and constraint indexes are never listed. "
            + "Check replicas before dropping (pgopt advise --replica).");
        m.put("indexes", slow.indexes().stream().filter(i -> i.scans() == 0 && !i.unique() && !i.constraint() && i.valid())
            .sorted(Comparator.comparingLong(SlowSnapshot.IndexRow::bytes).reversed()).limit(limit).toList());
      }
      default -> throw new ApiError(400, "type must be slow, usage or unused, not '" + type + "'");
    }
    return m;
  }

  private static List<HistoryReads.StatementTotals> fromWindow(WorkloadWindow w, String order, int limit) {
    if (w == null) {
      return List.of();
    }
    Comparator<HistoryReads.StatementTotals> cmp = order.equals("mean_ms")
        ? Comparator.comparingDouble(HistoryReads.StatementTotals::meanMs) : Comparator.comparingDouble(HistoryReads.StatementTotals::totalMs);
    List<HistoryReads.StatementTotals> out = new ArrayList<>();
    for (StatementDelta d : Derivations.workload(w.deltas())) {
      var k = d.counters();
      if (k.calls() > 0) {
        out.add(new HistoryReads.StatementTotals(d.entry().queryId(), d.entry().query(), d.entry().user(), k.calls(),
            k.totalExecMs(), k.rows(), k.sharedBlksHit(), k.sharedBlksRead(), k.tempBlks()));
      }
    }
    return out.stream().sorted(cmp.reversed()).limit(limit).toList();
  }

  Object queryHistory(Context ctx) throws StoreUnavailableException {
    TargetRuntime rt = target(ctx);
    String ids = Optional.ofNullable(ctx.queryParam("ids")).orElse("");
    List<Long> queryIds = new ArrayList<>();
    for (String s : ids.split(",")) {
      if (s.isBlank()) {
        continue;
      }
      try {
        queryIds.add(Long.parseLong(s.strip()));
      } catch (NumberFormatException e) {
        throw new ApiError(400, "ids must be comma-separated query ids, not '" + s + "'");
      }
    }
    if (queryIds.size() > 100) {
      throw new ApiError(400, "at most 100 ids per request");
    }
    Duration range = duration(ctx, "range", Duration.ofHours(24));
    Duration step = duration(ctx, "step", Duration.ofSeconds(Math.max(300, range.toSeconds() / 48)));
    Instant to = core.clock().instant();
    Map<Long, List<HistoryReads.Point>> series = core.store().read(c ->
        HistoryReads.statementMeans(c, rt.name(), queryIds, to.minus(range), to.plusSeconds(1), step));
    Map<String, Object> out = new LinkedHashMap<>();
    series.forEach((k, v) -> out.put(Long.toString(k), v));
    return Map.of("target", rt.name(), "metric", "mean_ms", "series", out);
  }

  Object findings(Context ctx) {
    TargetRuntime rt = target(ctx);
    Advisor.Advice advice = rt.findings();
    if (advice == null) {
      return Map.of("target", rt.name(), "status", "pending",
          "note", "findings are computed 2 s after start (again 30 s after a failed attempt) and then every collect.findings_interval");
    }
    return FindingsJson.write(advice, rt.database().display());
  }

  Object history(Context ctx) throws StoreUnavailableException {
    TargetRuntime rt = target(ctx);
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
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", rt.name());
    m.put("metric", series.key());
    m.put("help", series.help());
    m.put("step_seconds", step.toSeconds());
    m.put("points", points.stream().map(p -> List.of(p.ts().getEpochSecond(), p.value())).toList());
    return m;
  }

  Object tables(Context ctx) {
    TargetRuntime rt = target(ctx);
    SlowSnapshot slow = rt.latestSlow();
    if (slow == null) {
      throw new ApiError(503, "no table statistics collected from " + rt.name() + " yet");
    }
    int limit = intParam(ctx, "limit", 50, 1, 1000);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", rt.name());
    m.put("collected_at", slow.takenAt());
    m.put("tables", slow.tables().stream().sorted(Comparator.comparingLong(SlowSnapshot.TableRow::deadTuples).reversed())
        .limit(limit).map(t -> {
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("schema", t.schema());
          r.put("name", t.name());
          r.put("live_tuples", t.liveTuples());
          r.put("dead_tuples", t.deadTuples());
          r.put("dead_percent", t.liveTuples() + t.deadTuples() == 0 ? 0 : 100.0 * t.deadTuples() / (t.liveTuples() + t.deadTuples()));
          r.put("bytes", t.bytes());
          r.put("modified_since_analyze", t.modifiedSinceAnalyze());
          r.put("last_vacuum", t.lastVacuum());
          r.put("last_analyze", t.lastAnalyze());
          return r;
        }).toList());
    Advisor.Advice advice = rt.findings();
    m.put("findings", advice == null ? List.of() : advice.findings().stream()
        .filter(f -> f.rule().startsWith("table.") || f.rule().startsWith("xid.")).map(Endpoints::finding).toList());
    return m;
  }

  Object vector(Context ctx) throws DatabaseFailure {
    TargetRuntime rt = target(ctx);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", rt.name());
    m.put("vector_search_ms", rt.values().get(Series.VECTOR_SEARCH_MS));
    try {
      String inventory = rt.worker().useSession(s -> s.readOnly(c -> {
        try {
          return VectorJson.inspect(VectorInventory.read(c, PlanGuard.of(rt.config().allowUserFunctions()), s.serverVersionNum()), rt.database().display(), core.clock().instant());
        } catch (PgvectorMissingException e) {
          return null;
        }
      }));
      m.put("installed", inventory != null);
      m.put("inventory", inventory == null ? null : ApiServer.JSON.readTree(inventory));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    Advisor.Advice advice = rt.findings();
    m.put("findings", advice == null ? List.of() : advice.findings().stream().filter(f -> f.rule().startsWith("vector."))
        .map(Endpoints::finding).toList());
    return m;
  }

  Object alerts(Context ctx) throws StoreUnavailableException {
    String state = Optional.ofNullable(ctx.queryParam("state")).orElse("firing");
    return switch (state) {
      case "firing" -> ordered("alerts", core.alerts().active().stream().filter(a -> a.firing()).map(a -> {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", a.id());
        m.put("target", a.target());
        m.put("rule", a.rule());
        m.put("severity", a.severity().json());
        m.put("value", a.value());
        m.put("since", a.since());
        return m;
      }).toList(), "rules", core.alerts().rules());
      case "all" -> Map.of("alerts", core.store().read(c -> HistoryReads.alerts(c, false, intParam(ctx, "limit", 100, 1, 1000))));
      default -> throw new ApiError(400, "state must be firing or all");
    };
  }

  Object incidents() throws StoreUnavailableException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("open", core.incidents().open());
    List<HistoryReads.IncidentRow> recent;
    try {
      recent = core.store().read(c -> HistoryReads.incidents(c, 100));
    } catch (StoreUnavailableException e) {
      recent = List.of();
      m.put("note", e.getMessage());
    }
    m.put("recent", recent);
    return m;
  }

  Object maintenanceRuns() throws StoreUnavailableException {
    return Map.of("runs", core.store().read(c -> HistoryReads.maintenanceRuns(c, 100)));
  }

  Object clientReport(Context ctx, JsonNode body) {
    String name = ctx.pathParam("name");
    if (!CLIENT_NAME.matcher(name).matches()) {
      throw new ApiError(400, "client name must be 1-64 letters, digits, '.', '_' or '-'");
    }
    if (!core.clients().accept(name, body)) {
      throw new ApiError(429, "too many reporting applications; stale ones are forgotten after 5 minutes");
    }
    ctx.attribute("pgopt.audit", "client report " + name);
    return Map.of("accepted", true);
  }

  /** A boolean field; anything but true or false (a string "yes", say) is refused rather than read as false. */
  private static boolean flag(JsonNode body, String name, boolean absent) {
    JsonNode n = body.path(name);
    if (n.isMissingNode()) {
      return absent;
    }
    if (!n.isBoolean()) {
      throw new ApiError(400, name + " must be true or false (a JSON boolean), not " + n);
    }
    return n.asBoolean();
  }

  Object explain(Context ctx, JsonNode body) throws DatabaseFailure {
    TargetRuntime rt = target(ctx);
    JsonNode sqlNode = body.path("sql");
    JsonNode idNode = body.path("queryid");
    if (sqlNode.isMissingNode() == idNode.isMissingNode()) {
      throw new ApiError(400, "send exactly one of {\"sql\": \"SELECT ...\"} or {\"queryid\": \"123\"}");
    }
    ctx.attribute("pgopt.audit", sqlNode.isMissingNode() ? "explain queryid " + idNode.asText() : "explain sql");
    String json = rt.worker().useSession(s -> s.readOnly(c -> {
      String sql;
      if (!sqlNode.isMissingNode()) {
        if (!sqlNode.isTextual() || sqlNode.asText().isBlank()) {
          throw new ApiError(400, "sql must be a non-empty string");
        }
        sql = sqlNode.asText();
      } else {
        long id;
        try {
          id = Long.parseLong(idNode.asText());
        } catch (NumberFormatException e) {
          throw new ApiError(400, "queryid must be a number (as a string or integer)");
        }
        try {
          sql = StatementCollector.queryText(c, id).orElseThrow(() -> new ApiError(404, "no statement with queryid " + id
              + " in pg_stat_statements of " + rt.name()));
        } catch (StatementStatisticsUnavailable e) {
          throw new ApiError(409, e.getMessage());
        }
      }
      if (sql.length() > MAX_SQL) {
        throw new ApiError(400, "sql is longer than " + MAX_SQL + " characters");
      }
      try {
        PlanCollector.Explained e = PlanCollector.explain(c, PlanGuard.of(rt.config().allowUserFunctions()), sql,
            s.serverVersionNum(), false);
        return ExplainReportJson.write(e, PlanInsights.of(e.root(), e.tables()), rt.database().display());
      } catch (IllegalArgumentException e) {
        throw new ApiError(400, e.getMessage());
      } catch (SQLException e) {
        if (e.getSQLState() != null && (e.getSQLState().equals("57014") || e.getSQLState().startsWith("08"))) {
          throw e;
        }
        throw new ApiError(422, "the server could not plan the statement: " + firstLine(e.getMessage()));
      }
    }));
    return json;
  }

  Object action(Context ctx, JsonNode body) throws Exception {
    TargetRuntime rt = target(ctx);
    String id = body.path("finding_id").asText("");
    if (id.isBlank()) {
      throw new ApiError(400, "finding_id is required (from GET /api/targets/" + rt.name() + "/findings)");
    }
    boolean execute = flag(body, "execute", false);
    Advisor.Advice advice = rt.findings();
    if (advice == null) {
      throw new ApiError(409, "no findings computed for " + rt.name() + " yet");
    }
    Finding f = advice.findings().stream().filter(x -> x.answersTo(id)).findFirst()
        .orElseThrow(() -> new ApiError(404, "no finding " + id + " in the latest findings of " + rt.name()));
    if (f.action() == null || f.action().sql() == null) {
      throw new ApiError(409, "finding " + id + " has no action to apply");
    }
    ctx.attribute("pgopt.audit", (execute ? "execute " : "dry run ") + id);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("finding_id", id);
    m.put("sql", f.action().sql());
    m.put("undo_sql", f.action().undoSql());
    m.put("locks", f.action().locks());
    m.put("dry_run", !execute);
    if (!execute) {
      m.put("note", "dry run: nothing was changed; send \"execute\": true to apply");
      return m;
    }
    SessionOptions options = new SessionOptions(Duration.ofSeconds(5), Duration.ofHours(2), Duration.ofSeconds(5), "pgopt-monitor-apply");
    Applier applier = new Applier(Applier.Options.defaults(), Applier.Progress.NONE, d -> Thread.sleep(d.toMillis()))
        .reconnectingWith(() -> Connections.open(rt.database(), options));
    try (Connection c = Connections.open(rt.database(), options); Connection monitor = Connections.open(rt.database(), options)) {
      int pid = rt.own().record(c);
      List<Applier.Result> results;
      try {
        results = applier.apply(c, monitor, List.of(f), Optional.empty());
      } finally {
        rt.own().forget(pid);
      }
      Applier.Result r = results.get(0);
      m.put("succeeded", r.succeeded());
      m.put("message", r.message());
      m.put("audit_id", r.auditId());
      if (!r.succeeded()) {
        ctx.status(409);
      }
      return m;
    } catch (Applier.ApplyRefused e) {
      throw new ApiError(409, e.getMessage());
    }
  }

  Object maintenance(Context ctx, JsonNode body) throws StoreUnavailableException {
    TargetRuntime rt = target(ctx);
    String taskName = ctx.pathParam("task");
    MaintenanceTask task = MaintenanceTask.byKey(taskName).orElseThrow(() -> new ApiError(404, "unknown task '" + taskName
        + "'; one of " + Arrays.stream(MaintenanceTask.values()).map(MaintenanceTask::key).toList()));
    if (task == MaintenanceTask.REFRESH_VIEWS && core.config().maintenance().views().isEmpty()) {
      throw new ApiError(409, "no views configured: list them in maintenance.views");
    }
    boolean dryRun = flag(body, "dry_run", task == MaintenanceTask.EMERGENCY_CLEANUP);
    ctx.attribute("pgopt.audit", task.key() + (dryRun ? " (dry run)" : ""));
    MaintenanceRunner.Run run;
    try {
      run = core.runMaintenance(task, rt, dryRun);
    } catch (StoreUnavailableException e) {
      throw new ApiError(503, "maintenance runs are recorded in the history store, which is unavailable: " + e.getMessage());
    }
    if (run.status() == MaintenanceRunner.Status.SKIPPED) {
      ctx.status(409);
    }
    return run;
  }

  private static Map<String, Object> ordered(String k1, Object v1, String k2, Object v2) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(k1, v1);
    m.put(k2, v2);
    return m;
  }

  private TargetRuntime target(Context ctx) {
    String name = ctx.pathParam("target");
    TargetRuntime rt = core.targets().get(name);
    if (rt == null) {
      throw new ApiError(404, "no target '" + name + "'; targets are " + core.targets().keySet());
    }
    return rt;
  }

  private static Map<String, Object> finding(Finding f) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", f.id());
    m.put("rule", f.rule());
    m.put("severity", f.severity().json());
    m.put("title", f.title());
    m.put("evidence", f.evidence());
    m.put("sql", f.action() == null ? null : f.action().sql());
    return m;
  }

  private static int intParam(Context ctx, String name, int dflt, int min, int max) {
    String v = ctx.queryParam(name);
    if (v == null) {
      return dflt;
    }
    try {
      int i = Integer.parseInt(v);
      if (i < min || i > max) {
        throw new ApiError(400, name + " must be between " + min + " and " + max);
      }
      return i;
    } catch (NumberFormatException e) {
      throw new ApiError(400, name + " must be a whole number");
    }
  }

  private static Duration duration(Context ctx, String name, Duration dflt) {
    String v = ctx.queryParam(name);
    if (v == null) {
      return dflt;
    }
    try {
      Duration d = dev.pgopt.analyze.health.Units.parseDuration(v);
      if (d.isZero()) {
        throw new ApiError(400, name + " must be more than 0");
      }
      return d;
    } catch (IllegalArgumentException e) {
      throw new ApiError(400, name + " must be a duration like 15s, 5m, 6h or 7d, not '" + v + "'");
    }
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
