package dev.pgopt.monitor.internal.collect;

import dev.pgopt.backup.BackupException;
import dev.pgopt.backup.BackupRecord;
import dev.pgopt.backup.BackupRepository;
import dev.pgopt.backup.PgBackRest;
import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.internal.maintenance.TargetBackups;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup series of a target with a {@code backup} section: read from the repository (logical backups' manifests,
 * or {@code pgbackrest info} for physical ones) and its recorded drill reports, never from the database. A repository that cannot be read counts as
 * having no backup, so the age alert fires rather than going quiet.
 */
public final class BackupState {
  /** The age reported when there is no backup (or no passed drill): about 31 years, far beyond any threshold. */
  public static final double NONE = 1e9;
  private static final Logger LOG = LoggerFactory.getLogger(BackupState.class);

  private BackupState() {}

  public static Map<Series, Double> values(TargetBackups backups, Instant now) {
    MonitorConfig.Backup config = backups.config();
    String database = backups.database();
    Map<Series, Double> v = new EnumMap<>(Series.class);
    v.put(Series.BACKUP_AGE_SECONDS, NONE);
    v.put(Series.DRILL_AGE_SECONDS, NONE);
    try {
      BackupRepository r = BackupRepository.at(config.repo());
      if (config.physical()) {
        // pgbackrest info, as the server's user: the newest set's end is when its data became restorable
        List<PgBackRest.Backup> sets = PgBackRest.at(config.repo(), config.stanza()).backups(null);
        if (!sets.isEmpty()) {
          PgBackRest.Backup newest = sets.get(sets.size() - 1);
          v.put(Series.BACKUP_AGE_SECONDS, seconds(Duration.between(newest.stop(), now)));
          v.put(Series.BACKUP_BYTES, (double) newest.bytes());
        }
      } else {
        List<String> problems = new ArrayList<>();
        List<BackupRecord> list = r.list(database, problems);
        if (!list.isEmpty()) {
          BackupRecord newest = list.get(list.size() - 1);
          v.put(Series.BACKUP_AGE_SECONDS, seconds(Duration.between(newest.snapshotAt(), now)));
          v.put(Series.BACKUP_BYTES, (double) newest.bytes());
        }
      }
      BackupRepository.Drills drills = r.drills(database);
      drills.latest().ifPresent(d -> v.put(Series.DRILL_PASSED, d.passed() ? 1.0 : 0.0));
      drills.latestPassed().ifPresent(d -> {
        v.put(Series.DRILL_AGE_SECONDS, seconds(Duration.between(d.startedAt(), now)));
        v.put(Series.DRILL_LAST_SUCCESS_TIMESTAMP, d.startedAt().toEpochMilli() / 1000.0);
        if (d.rtoSeconds() != null) {
          v.put(Series.DRILL_RTO_SECONDS, d.rtoSeconds());
        }
      });
    } catch (BackupException e) {
      LOG.warn("backup repository of {} not read: {}", database, e.getMessage());
    }
    return v;
  }

  private static double seconds(Duration d) {
    return Math.max(0, d.toMillis() / 1000.0);
  }
}
