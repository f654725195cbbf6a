package dev.pgopt.monitor.internal.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.advise.Advisor;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.FindingsJson;
import dev.pgopt.apply.Applier;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.monitor.internal.MonitorCore;
import dev.pgopt.monitor.internal.TargetRuntime;
import io.javalin.http.Context;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A target's findings, and applying one (dry run unless asked to execute). */
final class FindingEndpoints {
  private static final SessionOptions APPLY_SESSION = new SessionOptions(Duration.ofSeconds(5), Duration.ofHours(2),
      Duration.ofSeconds(5), "pgopt-monitor-apply");

  record Pending(String target, String status, String note) {}

  record DryRun(String findingId, String sql, String undoSql, String locks, boolean dryRun, String note) {}

  record Applied(String findingId, String sql, String undoSql, String locks, boolean dryRun, boolean succeeded,
      String message, long auditId) {}

  private final MonitorCore core;

  FindingEndpoints(MonitorCore core) {
    this.core = core;
  }

  Object findings(Context ctx) {
    TargetRuntime rt = RequestParams.target(core, ctx);
    Advisor.Advice advice = rt.findings();
    if (advice == null) {
      return new Pending(rt.name(), "pending",
          "findings are computed 2 s after start (again 30 s after a failed attempt) and then every collect.findings_interval");
    }
    return FindingsJson.write(advice, rt.database().display());
  }

  Object action(Context ctx, JsonNode body) throws Exception {
    TargetRuntime rt = RequestParams.target(core, ctx);
    String id = body.path("finding_id").asText("");
    if (id.isBlank()) {
      throw new ApiError(400, "finding_id is required (from GET /api/targets/" + rt.name() + "/findings)");
    }
    boolean execute = RequestParams.flag(body, "execute", false);
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
    if (!execute) {
      return new DryRun(id, f.action().sql(), f.action().undoSql(), f.action().locks(), true,
          "dry run: nothing was changed; send \"execute\": true to apply");
    }
    Applier applier = new Applier(Applier.Options.defaults(), Applier.Progress.NONE, d -> Thread.sleep(d.toMillis()))
        .reconnectingWith(() -> Connections.open(rt.database(), APPLY_SESSION));
    try (Connection c = Connections.open(rt.database(), APPLY_SESSION);
        Connection monitor = Connections.open(rt.database(), APPLY_SESSION)) {
      int pid = rt.own().record(c);
      List<Applier.Result> results;
      try {
        results = applier.apply(c, monitor, List.of(f), Optional.empty());
      } finally {
        rt.own().forget(pid);
      }
      Applier.Result r = results.get(0);
      if (!r.succeeded()) {
        ctx.status(409);
      }
      return new Applied(id, f.action().sql(), f.action().undoSql(), f.action().locks(), false, r.succeeded(),
          r.message(), r.auditId());
    } catch (Applier.ApplyRefused e) {
      throw new ApiError(409, e.getMessage());
    }
  }
}
