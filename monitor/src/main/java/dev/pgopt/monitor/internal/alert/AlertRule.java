package dev.pgopt.monitor.internal.alert;

import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.internal.collect.Series;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A threshold on one series, with a warning and a critical level and how long the breach must last. Defaults come from
 * the users' write-ups (docs/monitor.md lists them and where each came from).
 */
public record AlertRule(String name, Series series, boolean below, Double warning, Double critical, Duration forDuration,
                        String unit, String summary) {

  /** The level {@code value} breaches, or null. */
  public Severity breach(double value, Double targetCritical) {
    Double crit = targetCritical != null ? targetCritical : critical;
    Double warn = targetCritical != null && warning == null ? Double.valueOf(targetCritical * 0.8) : warning;
    if (crit != null && (below ? value < crit : value > crit)) {
      return Severity.CRITICAL;
    }
    if (warn != null && (below ? value < warn : value > warn)) {
      return Severity.WARNING;
    }
    return null;
  }

  public Double threshold(Severity level, Double targetCritical) {
    if (targetCritical != null) {
      return level == Severity.CRITICAL ? targetCritical : targetCritical * 0.8;
    }
    return level == Severity.CRITICAL ? critical : warning;
  }

  /**
   * The built-in rules. {@code database_size} takes its levels from each target's {@code size_budget},
   * {@code cost_budget} from its {@code cost.budget_monthly}.
   */
  public static List<AlertRule> defaults() {
    return List.of(
        new AlertRule("target_down", Series.UP, true, null, 0.5, Duration.ofSeconds(30), "", "target is unreachable"),
        new AlertRule("avg_query_time", Series.AVG_QUERY_MS, false, 100.0, 500.0, Duration.ZERO, "ms", "average query time is high"),
        new AlertRule("connection_usage", Series.CONNECTION_USAGE_PERCENT, false, 70.0, 90.0, Duration.ofMinutes(2), "%", "connection usage is high"),
        new AlertRule("error_rate", Series.ROLLBACK_PERCENT, false, 5.0, 10.0, Duration.ofMinutes(5), "%", "transaction error (rollback) rate is high"),
        new AlertRule("cache_hit_ratio", Series.CACHE_HIT_PERCENT, true, 95.0, 80.0, Duration.ofMinutes(10), "%", "buffer cache hit ratio is low"),
        new AlertRule("slow_queries", Series.SLOW_QUERIES_PER_MINUTE, false, 10.0, 50.0, Duration.ofMinutes(1), "/min", "many slow queries"),
        new AlertRule("database_size", Series.DATABASE_BYTES, false, null, null, Duration.ZERO, "B", "database size is near its budget"),
        new AlertRule("replication_lag", Series.REPLICATION_LAG_SECONDS, false, 30.0, 300.0, Duration.ofMinutes(2), "s", "replication lag is high"),
        new AlertRule("xid_age", Series.XID_AGE, false, 1.0e9, 1.5e9, Duration.ZERO, "", "transaction ID wraparound is approaching"),
        new AlertRule("vector_search_time", Series.VECTOR_SEARCH_MS, false, 250.0, 1000.0, Duration.ZERO, "ms", "vector searches are slow"),
        // daily backups: a day and two hours is late, two days and two hours is a missed day (targets with backup_repo)
        new AlertRule("backup_age", Series.BACKUP_AGE_SECONDS, false, 93_600.0, 180_000.0, Duration.ZERO, "s", "the newest backup is old"),
        new AlertRule("drill_failed", Series.DRILL_PASSED, true, null, 0.5, Duration.ZERO, "", "the newest restore drill failed"),
        // weekly drills: a day late is a warning, a missed week critical
        new AlertRule("drill_age", Series.DRILL_AGE_SECONDS, false, 691_200.0, 1_296_000.0, Duration.ZERO, "s", "no restore drill passed recently"),
        // targets with a pgbouncer section: a waiting client is latency the server never sees
        new AlertRule("pgbouncer_down", Series.PGBOUNCER_UP, true, null, 0.5, Duration.ofSeconds(30), "", "the PgBouncer admin console does not answer"),
        new AlertRule("pgbouncer_clients_waiting", Series.PGBOUNCER_CLIENTS_WAITING, false, 0.0, null, Duration.ofMinutes(1), "",
            "clients wait for a PgBouncer server connection"),
        new AlertRule("pgbouncer_maxwait", Series.PGBOUNCER_MAXWAIT_SECONDS, false, 1.0, 5.0, Duration.ZERO, "s",
            "a PgBouncer client has waited long for a server connection"),
        // maintenance.partition_tables: rows need a partition ready before their time comes
        new AlertRule("partitions_ahead", Series.PARTITIONS_AHEAD, true, 2.0, 1.0, Duration.ZERO, "",
            "few partitions are ready ahead of now"),
        new AlertRule("default_partition_rows", Series.DEFAULT_PARTITION_ROWS, false, 0.0, null, Duration.ZERO, "",
            "rows landed in a default partition"),
        // targets with cost.budget_monthly: critical at the budget, warning at 80 % of it
        new AlertRule("cost_budget", Series.COST_FORECAST_MONTHLY, false, null, null, Duration.ZERO, "",
            "the monthly cost forecast is near its budget"));
  }

  /** The defaults with the configuration's overrides applied; disabled rules are left out. */
  public static List<AlertRule> configured(Map<String, MonitorConfig.RuleSettings> overrides) {
    List<AlertRule> out = new ArrayList<>();
    for (AlertRule r : defaults()) {
      MonitorConfig.RuleSettings s = overrides.get(r.name());
      if (s == null) {
        out.add(r);
        continue;
      }
      if (Boolean.FALSE.equals(s.enabled())) {
        continue;
      }
      out.add(new AlertRule(r.name(), r.series(), r.below(), s.warning() != null ? s.warning() : r.warning(),
          s.critical() != null ? s.critical() : r.critical(), s.forDuration() != null ? s.forDuration() : r.forDuration(),
          r.unit(), r.summary()));
    }
    return List.copyOf(out);
  }
}
