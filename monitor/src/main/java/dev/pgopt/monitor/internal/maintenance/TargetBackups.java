package dev.pgopt.monitor.internal.maintenance;

import dev.pgopt.backup.BackupRecord;
import dev.pgopt.backup.BackupRepository;
import dev.pgopt.backup.DrillReport;
import dev.pgopt.backup.LogicalBackup;
import dev.pgopt.backup.PgBackRest;
import dev.pgopt.backup.PointInTimeDrill;
import dev.pgopt.backup.RestoreDrill;
import dev.pgopt.backup.Retention;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.monitor.MonitorConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scheduled {@code backup} and {@code restore_drill} tasks of one target: the same backups and drills as
 * {@code pgopt backup run} and {@code pgopt backup drill}, with the target's {@code backup} settings. Each method fills
 * the run's summary and says whether it succeeded; a drill whose checks fail is a failed run.
 */
public final class TargetBackups {
  private static final int VERIFIED_TABLES = 10;
  private static final Duration CHECK_TIMEOUT = Duration.ofMinutes(30);

  private final MonitorConfig.Backup config;
  private final DatabaseTarget source;
  private final Clock clock;

  /**
   * @param source who logical backups connect as (the backup section's url, else the target's), and whose database a
   *     drill checks
   */
  public TargetBackups(MonitorConfig.Backup config, DatabaseTarget source, Clock clock) {
    this.config = config;
    this.source = source;
    this.clock = clock;
  }

  public MonitorConfig.Backup config() {
    return config;
  }

  public String database() {
    return source.database();
  }

  /**
   * One backup in the repository, as the dashboard lists it.
   *
   * @param id the logical backup's id or pgBackRest's label
   * @param kind {@code logical}, or pgBackRest's type (full, diff, incr)
   * @param restorableAt the newest commit it holds (logical: the snapshot; physical: the backup's end, WAL may add more)
   */
  public record Listed(String id, String kind, Instant startedAt, Instant finishedAt, Instant restorableAt, long bytes) {}

  /** The backups in the repository, newest first; a repository that cannot be read is a BackupException. */
  public List<Listed> list(List<String> problems) {
    List<Listed> out = new ArrayList<>();
    if (config.physical()) {
      for (PgBackRest.Backup b : PgBackRest.at(config.repo(), config.stanza()).backups(null)) {
        out.add(new Listed(b.label(), b.type(), b.start(), b.stop(), b.stop(), b.bytes()));
      }
    } else {
      for (BackupRecord b : BackupRepository.at(config.repo()).list(source.database(), problems)) {
        out.add(new Listed(b.id(), b.mode(), b.startedAt(), b.finishedAt(), b.snapshotAt(), b.bytes()));
      }
    }
    Collections.reverse(out);
    return out;
  }

  /** The drills recorded for this database. */
  public BackupRepository.Drills drills() {
    return BackupRepository.at(config.repo()).drills(source.database());
  }

  MaintenanceRunner.Status backup(Map<String, Object> summary) {
    summary.put("mode", config.mode());
    if (config.physical()) {
      PgBackRest.Backup b = PgBackRest.at(config.repo(), config.stanza()).backup(source, config.type());
      summary.put("label", b.label());
      summary.put("type", b.type());
      summary.put("bytes", b.bytes());
      summary.put("repository_bytes", b.repositoryBytes());
      summary.put("seconds", Duration.between(b.start(), b.stop()).toSeconds());
      summary.put("wal", b.walStart() + " .. " + b.walStop());
      return MaintenanceRunner.Status.SUCCEEDED;
    }
    LogicalBackup.Options options = new LogicalBackup.Options(config.jobs(), VERIFIED_TABLES,
        new Retention(config.keepLast(), config.maxAge().orElse(null)));
    LogicalBackup.Result r = new LogicalBackup(clock).run(source, SessionOptions.defaults(),
        BackupRepository.create(config.repo()), options);
    BackupRecord b = r.backup();
    summary.put("id", b.id());
    summary.put("bytes", b.bytes());
    summary.put("seconds", b.took().toMillis() / 1000.0);
    summary.put("snapshot_at", b.snapshotAt().toString());
    summary.put("pruned", r.pruned());
    return MaintenanceRunner.Status.SUCCEEDED;
  }

  MaintenanceRunner.Status drill(Map<String, Object> summary) {
    summary.put("mode", config.mode());
    RestoreDrill.Options options = new RestoreDrill.Options(config.jobs(),
        config.scratchDir().orElse(RestoreDrill.Options.defaults().scratchParent()), config.smokeQuery().orElse(null),
        CHECK_TIMEOUT);
    DrillReport report = config.physical()
        ? new PointInTimeDrill(clock).run(PgBackRest.at(config.repo(), config.stanza()), source, null, options)
        : new RestoreDrill(clock).run(BackupRepository.at(config.repo()), source.database(), null, options);
    summary.put("backup", report.backupId());
    summary.put("passed", report.passed());
    summary.put("rto_seconds", report.rto() == null ? null : report.rto().toMillis() / 1000.0);
    summary.put("rpo_seconds", report.rpo() == null ? null : report.rpo().toMillis() / 1000.0);
    List<Map<String, Object>> failed = report.checks().stream().filter(c -> !c.passed()).map(c -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("check", c.name());
      m.put("detail", c.detail());
      return m;
    }).toList();
    summary.put("failed_checks", failed);
    return report.passed() ? MaintenanceRunner.Status.SUCCEEDED : MaintenanceRunner.Status.FAILED;
  }
}
