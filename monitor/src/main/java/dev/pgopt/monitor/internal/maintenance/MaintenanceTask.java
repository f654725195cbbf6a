package dev.pgopt.monitor.internal.maintenance;

import java.util.Arrays;
import java.util.Optional;

/** The maintenance tasks, by the names the API and configuration use. */
public enum MaintenanceTask {
  DAILY_HEALTH_CHECK("daily_health_check"),
  WEEKLY_OPTIMIZATION("weekly_optimization"),
  REFRESH_VIEWS("refresh_views"),
  ANALYZE_STALE("analyze_stale"),
  EMERGENCY_CLEANUP("emergency_cleanup"),
  BACKUP("backup"),
  RESTORE_DRILL("restore_drill"),
  PARTITIONS("partitions");

  private final String key;

  MaintenanceTask(String key) {
    this.key = key;
  }

  public String key() {
    return key;
  }

  /** Backups and drills take minutes to hours: they run on their own thread, never in a request or a schedule tick. */
  public boolean background() {
    return this == BACKUP || this == RESTORE_DRILL;
  }

  public static Optional<MaintenanceTask> byKey(String key) {
    return Arrays.stream(values()).filter(t -> t.key.equals(key)).findFirst();
  }
}
