package dev.pgopt.monitor.internal.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.pgopt.backup.BackupException;
import dev.pgopt.backup.BackupRepository;
import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.internal.MonitorCore;
import dev.pgopt.monitor.internal.TargetRuntime;
import dev.pgopt.monitor.internal.collect.Series;
import dev.pgopt.monitor.internal.maintenance.MaintenanceTask;
import dev.pgopt.monitor.internal.maintenance.TargetBackups;
import dev.pgopt.monitor.internal.store.HistoryReads;
import dev.pgopt.monitor.internal.store.StoreUnavailableException;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A target's backups, drills and their scheduled runs: the dashboard's backups page. */
final class BackupEndpoints {
  private static final int SHOWN = 30;

  /**
   * @param problems why part of the page is missing: the repository or the history store could not be read, or a
   *     manifest is damaged
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Backups(String target, boolean configured, String mode, String repo, Map<String, String> schedules,
                 Map<String, Double> values, List<TargetBackups.Listed> backups,
                 List<BackupRepository.DrillSummary> drills, List<HistoryReads.MaintenanceRow> runs,
                 List<String> problems) {}

  private final MonitorCore core;

  BackupEndpoints(MonitorCore core) {
    this.core = core;
  }

  Backups backups(Context ctx) {
    TargetRuntime rt = RequestParams.target(core, ctx);
    if (rt.backups().isEmpty()) {
      return new Backups(rt.name(), false, null, null, Map.of(), Map.of(), List.of(), List.of(), List.of(), List.of());
    }
    TargetBackups b = rt.backups().get();
    MonitorConfig.Maintenance m = core.config().maintenance();
    Map<String, String> schedules = new LinkedHashMap<>();
    m.backup().ifPresent(c -> schedules.put(MaintenanceTask.BACKUP.key(), c));
    m.restoreDrill().ifPresent(c -> schedules.put(MaintenanceTask.RESTORE_DRILL.key(), c));
    Map<String, Double> values = new LinkedHashMap<>();
    for (Series s : List.of(Series.BACKUP_AGE_SECONDS, Series.BACKUP_BYTES, Series.DRILL_PASSED, Series.DRILL_AGE_SECONDS,
        Series.DRILL_RTO_SECONDS, Series.DRILL_LAST_SUCCESS_TIMESTAMP)) {
      Double v = rt.values().get(s);
      if (v != null) {
        values.put(s.key(), v);
      }
    }
    List<String> problems = new ArrayList<>();
    List<TargetBackups.Listed> listed = List.of();
    List<BackupRepository.DrillSummary> drills = List.of();
    try {
      listed = b.list(problems);
      drills = b.drills().recent();
    } catch (BackupException e) {
      problems.add(e.getMessage());
    }
    List<HistoryReads.MaintenanceRow> runs = List.of();
    try {
      runs = core.store().read(c -> HistoryReads.maintenanceRuns(c, rt.name(),
          List.of(MaintenanceTask.BACKUP.key(), MaintenanceTask.RESTORE_DRILL.key()), SHOWN));
    } catch (StoreUnavailableException e) {
      problems.add(e.getMessage());
    }
    return new Backups(rt.name(), true, b.config().mode(), b.config().repo().toString(), schedules, values,
        listed.subList(0, Math.min(SHOWN, listed.size())), drills, runs, problems);
  }
}
