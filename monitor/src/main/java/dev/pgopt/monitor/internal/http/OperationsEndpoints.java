package dev.pgopt.monitor.internal.http;

import static dev.pgopt.monitor.internal.http.RequestParams.intParam;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.monitor.internal.MonitorCore;
import dev.pgopt.monitor.internal.TargetRuntime;
import dev.pgopt.monitor.internal.alert.AlertEngine;
import dev.pgopt.monitor.internal.alert.AlertRule;
import dev.pgopt.monitor.internal.incident.Incident;
import dev.pgopt.monitor.internal.maintenance.MaintenanceRunner;
import dev.pgopt.monitor.internal.maintenance.MaintenanceTask;
import dev.pgopt.monitor.internal.store.HistoryReads;
import dev.pgopt.monitor.internal.store.StoreUnavailableException;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** What the monitor does on its own: alerts, incidents, maintenance runs; and what applications report to it. */
final class OperationsEndpoints {
  private static final Pattern CLIENT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  record FiringAlert(String id, String target, String rule, String severity, double value, Instant since) {}

  record Firing(List<FiringAlert> alerts, List<AlertRule> rules) {}

  record AlertLog(List<HistoryReads.AlertRow> alerts) {}

  /** {@code note} says why {@code recent} is empty when the history store is unavailable. */
  record Incidents(List<Incident> open, List<HistoryReads.IncidentRow> recent,
      @JsonInclude(JsonInclude.Include.NON_NULL) String note) {}

  record MaintenanceRuns(List<HistoryReads.MaintenanceRow> runs) {}

  record Accepted(boolean accepted) {}

  private final MonitorCore core;

  OperationsEndpoints(MonitorCore core) {
    this.core = core;
  }

  Object alerts(Context ctx) throws StoreUnavailableException {
    String state = Optional.ofNullable(ctx.queryParam("state")).orElse("firing");
    return switch (state) {
      case "firing" -> new Firing(core.alerts().active().stream().filter(AlertEngine.Active::firing)
          .map(a -> new FiringAlert(a.id(), a.target(), a.rule(), a.severity().json(), a.value(), a.since())).toList(),
          core.alerts().rules());
      case "all" -> new AlertLog(core.store().read(c -> HistoryReads.alerts(c, false, intParam(ctx, "limit", 100, 1, 1000))));
      default -> throw new ApiError(400, "state must be firing or all");
    };
  }

  Incidents incidents() {
    List<HistoryReads.IncidentRow> recent;
    String note = null;
    try {
      recent = core.store().read(c -> HistoryReads.incidents(c, 100));
    } catch (StoreUnavailableException e) {
      recent = List.of();
      note = e.getMessage();
    }
    return new Incidents(core.incidents().open(), recent, note);
  }

  MaintenanceRuns maintenanceRuns() throws StoreUnavailableException {
    return new MaintenanceRuns(core.store().read(c -> HistoryReads.maintenanceRuns(c, 100)));
  }

  MaintenanceRunner.Run maintenance(Context ctx, JsonNode body) {
    TargetRuntime rt = RequestParams.target(core, ctx);
    String taskName = ctx.pathParam("task");
    MaintenanceTask task = MaintenanceTask.byKey(taskName).orElseThrow(() -> new ApiError(404, "unknown task '" + taskName
        + "'; one of " + Arrays.stream(MaintenanceTask.values()).map(MaintenanceTask::key).toList()));
    if (task == MaintenanceTask.REFRESH_VIEWS && core.config().maintenance().views().isEmpty()) {
      throw new ApiError(409, "no views configured: list them in maintenance.views");
    }
    if (task.background() && rt.backups().isEmpty()) {
      throw new ApiError(409, "target " + rt.name() + " has no backup section: add backup: {repo: DIR} to it (docs/backup.md)");
    }
    boolean dryRun = RequestParams.flag(body, "dry_run", task == MaintenanceTask.EMERGENCY_CLEANUP);
    ctx.attribute("pgopt.audit", task.key() + (dryRun ? " (dry run)" : ""));
    MaintenanceRunner.Run run;
    try {
      run = core.runMaintenance(task, rt, dryRun);
    } catch (StoreUnavailableException e) {
      throw new ApiError(503, "maintenance runs are recorded in the history store, which is unavailable: " + e.getMessage());
    }
    if (run.status() == MaintenanceRunner.Status.SKIPPED) {
      ctx.status(409);
    } else if (run.status() == MaintenanceRunner.Status.STARTED) {
      ctx.status(202);
    }
    return run;
  }

  Accepted clientReport(Context ctx, JsonNode body) {
    String name = ctx.pathParam("name");
    if (!CLIENT_NAME.matcher(name).matches()) {
      throw new ApiError(400, "client name must be 1-64 letters, digits, '.', '_' or '-'");
    }
    if (!core.clients().accept(name, body)) {
      throw new ApiError(429, "too many reporting applications; stale ones are forgotten after 5 minutes");
    }
    ctx.attribute("pgopt.audit", "client report " + name);
    return new Accepted(true);
  }
}
