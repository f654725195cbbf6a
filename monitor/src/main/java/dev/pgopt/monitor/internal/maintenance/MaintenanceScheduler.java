package dev.pgopt.monitor.internal.maintenance;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.pgopt.monitor.ConfigException;
import dev.pgopt.monitor.MonitorConfig;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires the configured cron schedules (five-field UNIX syntax, UTC). {@link #tick()} is called every few seconds; a
 * schedule fires once for each scheduled time that has passed since the previous tick (a missed time while the
 * process was down is not replayed). The scheduled time is the run's identity in the store, so instances agree on it.
 */
public final class MaintenanceScheduler {
  private static final Logger LOG = LoggerFactory.getLogger(MaintenanceScheduler.class);
  private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private final Map<MaintenanceTask, ExecutionTime> schedules;
  private final MaintenanceRunner runner;
  private final Supplier<List<? extends MaintenanceTarget>> targets;
  private final Clock clock;
  private final BackgroundRuns background;
  private Instant last;

  /** @param background where backups and drills run, one after the other, so a tick never waits for them */
  public MaintenanceScheduler(Map<MaintenanceTask, ExecutionTime> schedules, MaintenanceRunner runner,
                              Supplier<List<? extends MaintenanceTarget>> targets, Clock clock, BackgroundRuns background) {
    this.schedules = schedules;
    this.runner = runner;
    this.targets = targets;
    this.clock = clock;
    this.background = background;
    this.last = clock.instant();
  }

  /** The configured schedules, parsed; a bad expression is a ConfigException naming its key. */
  public static Map<MaintenanceTask, ExecutionTime> schedules(MonitorConfig.Maintenance m, String source) throws ConfigException {
    Map<MaintenanceTask, ExecutionTime> out = new EnumMap<>(MaintenanceTask.class);
    put(out, MaintenanceTask.DAILY_HEALTH_CHECK, m.dailyHealthCheck(), source);
    put(out, MaintenanceTask.WEEKLY_OPTIMIZATION, m.weeklyOptimization(), source);
    put(out, MaintenanceTask.REFRESH_VIEWS, m.refreshViews(), source);
    put(out, MaintenanceTask.ANALYZE_STALE, m.analyzeStale(), source);
    put(out, MaintenanceTask.PARTITIONS, m.partitions(), source);
    put(out, MaintenanceTask.BACKUP, m.backup(), source);
    put(out, MaintenanceTask.RESTORE_DRILL, m.restoreDrill(), source);
    if (out.containsKey(MaintenanceTask.REFRESH_VIEWS) && m.views().isEmpty()) {
      throw new ConfigException(source + ": maintenance.refresh_views: a schedule needs maintenance.views (schema.view names)");
    }
    return out;
  }

  private static void put(Map<MaintenanceTask, ExecutionTime> out, MaintenanceTask task, Optional<String> cron, String source)
      throws ConfigException {
    if (cron.isEmpty()) {
      return;
    }
    try {
      Cron parsed = PARSER.parse(cron.get());
      parsed.validate();
      out.put(task, ExecutionTime.forCron(parsed));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(source + ": maintenance." + task.key() + ": '" + cron.get()
          + "' is not a cron expression (minute hour day-of-month month day-of-week, e.g. '0 6 * * *')");
    }
  }

  public void tick() {
    Instant now = clock.instant();
    Instant since = last;
    last = now;
    for (Map.Entry<MaintenanceTask, ExecutionTime> e : schedules.entrySet()) {
      Optional<ZonedDateTime> due = e.getValue().lastExecution(ZonedDateTime.ofInstant(now, ZoneOffset.UTC).plusNanos(1));
      if (due.isEmpty() || !due.get().toInstant().isAfter(since) || due.get().toInstant().isAfter(now)) {
        continue;
      }
      for (MaintenanceTarget t : targets.get()) {
        if (e.getKey().background()) {
          Instant scheduledFor = due.get().toInstant();
          if (t.backups().isPresent() && !background.submit(e.getKey(), t.name(), () -> run(e.getKey(), t, scheduledFor))) {
            LOG.warn("scheduled {} on {} for {} skipped: the previous one is still running", e.getKey().key(), t.name(),
                scheduledFor);
          }
        } else {
          run(e.getKey(), t, due.get().toInstant());
        }
      }
    }
  }

  private void run(MaintenanceTask task, MaintenanceTarget t, Instant scheduledFor) {
    try {
      MaintenanceRunner.Run run = runner.run(task, t, scheduledFor, false);
      LOG.debug("scheduled {} on {}: {}", task.key(), t.name(), run.status());
    } catch (Exception ex) {
      LOG.warn("scheduled {} on {} not run: {}", task.key(), t.name(), ex.getMessage());
    }
  }
}
