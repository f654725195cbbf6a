package dev.pgopt.monitor.internal.maintenance;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.advise.Advisor;
import dev.pgopt.advise.Finding;
import dev.pgopt.analyze.health.CheckResult;
import dev.pgopt.analyze.health.HealthReport;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.Quoting;
import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.internal.alert.Notification;
import dev.pgopt.monitor.internal.alert.Severity;
import dev.pgopt.monitor.internal.collect.ActivitySnapshot;
import dev.pgopt.monitor.internal.incident.BackendSignals;
import dev.pgopt.monitor.internal.incident.Guardrails;
import dev.pgopt.monitor.internal.store.HistoryStore;
import dev.pgopt.monitor.internal.store.StoreUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one maintenance task on one target and records it in {@code pgopt.maintenance_runs}. Two pgopt instances
 * sharing a store never run the same job twice: the run is claimed by a unique (task, target, scheduled time) row,
 * and an advisory lock on the store keeps manual runs of the same task and target from overlapping.
 */
public final class MaintenanceRunner {
  private static final Logger LOG = LoggerFactory.getLogger(MaintenanceRunner.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The recorded outcome. */
  public record Run(long id, String task, String target, Status status, Map<String, Object> summary) {}

  /**
   * How a run ended; stored and served as its JSON name ({@code running} is only ever a stored row's state).
   * {@code STARTED} is only the API's answer for a background task (backup, restore_drill): its outcome is recorded.
   */
  public enum Status {
    SUCCEEDED, FAILED, SKIPPED, STARTED;

    @com.fasterxml.jackson.annotation.JsonValue
    public String json() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final HistoryStore store;
  private final MonitorConfig config;
  private final Guardrails guardrails;
  private final BackendSignals signals;
  private final Clock clock;
  private final String instance;
  private final Consumer<Notification> notify;

  public MaintenanceRunner(HistoryStore store, MonitorConfig config, Guardrails guardrails, BackendSignals signals,
                           Clock clock, String instance, Consumer<Notification> notify) {
    this.store = store;
    this.config = config;
    this.guardrails = guardrails;
    this.signals = signals;
    this.clock = clock;
    this.instance = instance;
    this.notify = notify;
  }

  public Run run(MaintenanceTask task, MaintenanceTarget target, Instant scheduledFor, boolean dryRun)
      throws StoreUnavailableException {
    try (Connection lock = store.connection()) {
      lock.setAutoCommit(true);
      if (!advisoryLock(lock, task, target.name())) {
        return new Run(0, task.key(), target.name(), Status.SKIPPED, Map.of("reason", "another pgopt instance is running this task on this target"));
      }
      try {
        Optional<Long> id = claim(lock, task, target.name(), scheduledFor);
        if (id.isEmpty()) {
          return new Run(0, task.key(), target.name(), Status.SKIPPED, Map.of("reason", "already run for " + scheduledFor));
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        Status status;
        try {
          status = execute(task, target, dryRun, summary);
        } catch (DatabaseFailure | RuntimeException e) {
          status = Status.FAILED;
          summary.put("error", e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
        finish(lock, id.get(), status, summary);
        if (task.background() && status == Status.FAILED) {
          // a backup or drill that fails is news now, not at the next age alert
          Object why = summary.containsKey("error") ? summary.get("error") : summary.get("failed_checks");
          notify.accept(new Notification(task.key() + ":" + target.name() + ":" + scheduledFor, Notification.Kind.MAINTENANCE,
              Notification.Event.FAILED, Severity.CRITICAL, target.name(), task.key(), task.key() + " failed: " + why,
              null, null, clock.instant(), null));
        }
        LOG.info("maintenance {} on {}: {}", task.key(), target.name(), status);
        return new Run(id.get(), task.key(), target.name(), status, summary);
      } finally {
        unlock(lock, task, target.name());
      }
    } catch (SQLException e) {
      throw new StoreUnavailableException("maintenance run could not be recorded in the history store: " + e.getMessage(), e);
    }
  }

  private Status execute(MaintenanceTask task, MaintenanceTarget target, boolean dryRun, Map<String, Object> summary)
      throws DatabaseFailure {
    switch (task) {
      case DAILY_HEALTH_CHECK -> {
        HealthReport report = target.health();
        summary.put("status", report.status());
        List<Map<String, Object>> problems = new ArrayList<>();
        for (CheckResult c : report.checks()) {
          if (c.status() == dev.pgopt.analyze.health.Status.WARNING || c.status() == dev.pgopt.analyze.health.Status.CRITICAL) {
            problems.add(Map.of("check", c.name(), "status", c.status().json(), "message", String.valueOf(c.message())));
          }
        }
        summary.put("problems", problems);
        if (!report.status().equals("healthy")) {
          notify.accept(new Notification("daily:" + target.name() + ":" + clock.instant(), Notification.Kind.MAINTENANCE,
              Notification.Event.REPORT, report.status().equals("critical") ? Severity.CRITICAL : Severity.WARNING, target.name(), "daily_health_check",
              problems.size() + " check(s) need attention: " + problems.stream().map(p -> (String) p.get("check")).toList(),
              null, null, clock.instant(), null));
        }
        return Status.SUCCEEDED;
      }
      case WEEKLY_OPTIMIZATION -> {
        Advisor.Advice advice = target.advise();
        Map<String, Long> bySeverity = new LinkedHashMap<>();
        for (Finding f : advice.findings()) {
          bySeverity.merge(f.severity().json(), 1L, Long::sum);
        }
        summary.put("findings", bySeverity);
        summary.put("top", advice.findings().stream().limit(5).map(f -> f.id() + ": " + f.title()).toList());
        if (!advice.findings().isEmpty()) {
          notify.accept(new Notification("weekly:" + target.name() + ":" + clock.instant(), Notification.Kind.MAINTENANCE,
              Notification.Event.REPORT, bySeverity.containsKey("critical") ? Severity.CRITICAL : Severity.WARNING, target.name(), "weekly_optimization",
              advice.findings().size() + " finding(s) " + bySeverity + "; review them in the dashboard's indexes page or with pgopt advise",
              null, null, clock.instant(), null));
        }
        return Status.SUCCEEDED;
      }
      case REFRESH_VIEWS -> {
        List<Map<String, Object>> views = new ArrayList<>();
        boolean failed = false;
        for (String view : config.maintenance().views()) {
          Instant start = clock.instant();
          Map<String, Object> v = new LinkedHashMap<>();
          v.put("view", view);
          try {
            target.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY " + qualified(view), Duration.ofMinutes(30));
            v.put("status", "refreshed");
          } catch (DatabaseFailure e) {
            failed = true;
            v.put("status", "failed");
            v.put("error", e.getMessage());
          }
          v.put("seconds", Duration.between(start, clock.instant()).toMillis() / 1000.0);
          views.add(v);
        }
        summary.put("views", views);
        return failed ? Status.FAILED : Status.SUCCEEDED;
      }
      case ANALYZE_STALE -> {
        List<String> tables = target.staleTables(config.maintenance().staleFraction(), 50);
        List<String> done = new ArrayList<>();
        for (String t : tables) {
          target.execute("ANALYZE " + t, Duration.ofMinutes(10));
          done.add(t);
        }
        summary.put("analyzed", done);
        return Status.SUCCEEDED;
      }
      case EMERGENCY_CLEANUP -> {
        ActivitySnapshot snap = target.activity();
        List<Map<String, Object>> actions = new ArrayList<>();
        for (ActivitySnapshot.SessionRow s : snap.sessions()) {
          if (!"active".equals(s.state()) || s.queryStart() == null || !s.clientBackend() || s.own()
              || Duration.between(s.queryStart(), snap.takenAt()).compareTo(config.incidents().runawayQuery()) < 0) {
            continue;
          }
          Map<String, Object> a = new LinkedHashMap<>();
          a.put("pid", s.pid());
          a.put("role", s.user());
          a.put("running_seconds", Duration.between(s.queryStart(), snap.takenAt()).toSeconds());
          Optional<String> refusal = guardrails.refusal(s);
          if (refusal.isPresent()) {
            a.put("outcome", "refused: " + refusal.get());
          } else if (dryRun) {
            a.put("outcome", "dry_run: would cancel");
          } else if (!guardrails.take()) {
            a.put("outcome", "refused: action budget spent");
          } else {
            a.put("outcome", signals.signal(target.name(), s.pid(), s.queryStart(), false) ? "cancelled" : "gone");
          }
          actions.add(a);
        }
        summary.put("dry_run", dryRun);
        summary.put("threshold_seconds", config.incidents().runawayQuery().toSeconds());
        summary.put("queries", actions);
        return Status.SUCCEEDED;
      }
      case BACKUP -> {
        return backups(target).backup(summary);
      }
      case RESTORE_DRILL -> {
        return backups(target).drill(summary);
      }
      case PARTITIONS -> {
        List<Map<String, Object>> tables = new ArrayList<>();
        boolean failed = false;
        for (String table : config.maintenance().partitionTables()) {
          Map<String, Object> t = new LinkedHashMap<>();
          t.put("table", table);
          try {
            Optional<dev.pgopt.lifecycle.PartitionMaintenance.Plan> plan = target.partitions(table,
                config.maintenance().partitionPremake(), !dryRun);
            if (plan.isEmpty()) {
              t.put("status", "not on this target");
            } else {
              t.put("status", plan.get().managedBy().map(m -> "managed by " + m).orElse(dryRun ? "planned" : "supplied"));
              t.put(dryRun ? "would_make" : "made", plan.get().create());
              plan.get().defaultRows().ifPresent(r -> t.put("default_partition_rows", r));
            }
          } catch (DatabaseFailure | RuntimeException e) {
            failed = true;
            t.put("status", "failed");
            t.put("error", e.getMessage());
          }
          tables.add(t);
        }
        summary.put("tables", tables);
        return failed ? Status.FAILED : Status.SUCCEEDED;
      }
      default -> throw new IllegalStateException(task.key());
    }
  }

  private static TargetBackups backups(MaintenanceTarget target) {
    return target.backups().orElseThrow(() -> new IllegalStateException("target " + target.name()
        + " has no backup section: add backup: {repo: DIR} to it (docs/backup.md)"));
  }

  private static String qualified(String view) {
    String[] parts = view.split("\\.", 2);
    return parts.length == 2 ? Quoting.ident(parts[0]) + "." + Quoting.ident(parts[1]) : Quoting.ident(parts[0]);
  }

  private static boolean advisoryLock(Connection c, MaintenanceTask task, String target) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(hashtext('pgopt.maintenance'), hashtext(? || ':' || ?))")) {
      ps.setString(1, task.key());
      ps.setString(2, target);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  private static void unlock(Connection c, MaintenanceTask task, String target) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(hashtext('pgopt.maintenance'), hashtext(? || ':' || ?))")) {
      ps.setString(1, task.key());
      ps.setString(2, target);
      ps.execute();
    }
  }

  private Optional<Long> claim(Connection c, MaintenanceTask task, String target, Instant scheduledFor) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO pgopt.maintenance_runs (task, target, scheduled_for, started_at, status, instance)
        VALUES (?, ?, ?, ?, 'running', ?) ON CONFLICT (task, target, scheduled_for) DO NOTHING RETURNING id""")) {
      ps.setString(1, task.key());
      ps.setString(2, target);
      ps.setTimestamp(3, Timestamp.from(scheduledFor));
      ps.setTimestamp(4, Timestamp.from(clock.instant()));
      ps.setString(5, instance);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
      }
    }
  }

  private void finish(Connection c, long id, Status status, Map<String, Object> summary) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE pgopt.maintenance_runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?")) {
      ps.setTimestamp(1, Timestamp.from(clock.instant()));
      ps.setString(2, status.json());
      ps.setString(3, JSON.writeValueAsString(summary));
      ps.setLong(4, id);
      ps.executeUpdate();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new SQLException("summary not serializable", e);
    }
  }
}
