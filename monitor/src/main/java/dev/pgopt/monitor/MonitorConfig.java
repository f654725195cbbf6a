package dev.pgopt.monitor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code pgopt serve} runs with, as read from {@code pgopt.yml} by {@link MonitorConfigLoader}. Every part has
 * documented defaults (docs/monitor.md), so a file naming one target is a working configuration.
 */
public record MonitorConfig(Server server, Store store, List<Target> targets, Collect collect, Alerts alerts,
                            Incidents incidents, Maintenance maintenance, Metrics metrics) {
  /** Targets one monitor takes, configured, from a file and discovered: beyond, split the fleet over monitors. */
  public static final int MAX_TARGETS = 5000;


  /** The HTTP side. Tokens are secrets already resolved; TLS is on when both PEM files are given. */
  public record Server(String host, int port, Optional<String> readToken, Optional<String> adminToken,
                       Optional<Path> tlsCertificate, Optional<Path> tlsPrivateKey, int mutationsPerMinute,
                       long maxRequestBytes) {
    public boolean loopbackOnly() {
      return host.equals("127.0.0.1") || host.equals("::1") || host.equals("localhost");
    }
  }

  /** Where history goes: a {@code pgopt} schema in this database. */
  public record Store(String url, Optional<String> password, Duration rawRetention, Duration hourlyRetention,
                      int bufferedRows) {}

  /**
   * One monitored database.
   *
   * @param allowUserFunctions whether statements that call user-defined functions may be planned (findings, explain):
   *     PostgreSQL may run those functions while planning, with the monitor's role
   * @param backup where this database's backups and drills are kept (their series, metrics and alerts) and how the
   *     scheduled {@code backup} and {@code restore_drill} tasks take and prove them
   * @param pooler the PgBouncer in front of it, read through its admin console at every activity sample
   * @param cost how to price it (series cost_monthly, cost_forecast_monthly; alert cost_budget)
   * @param databases a discovery entry: the server's databases whose names match this glob ({@code *}, {@code ?})
   *     are each a target, named {@code name-database}, with this entry's settings; empty for one database
   */
  public record Target(String name, String url, Optional<String> password, Optional<Long> sizeBudgetBytes,
                       int expectedReplicas, boolean allowUserFunctions, Optional<Backup> backup, Optional<Pooler> pooler,
                       Optional<Cost> cost, Optional<String> databases) {

    /** One database of a discovery entry: its own name, the entry's settings. */
    public Target discovered(String targetName) {
      return new Target(targetName, url, password, sizeBudgetBytes, expectedReplicas, allowUserFunctions, backup, pooler,
          cost, Optional.empty());
    }
  }

  /**
   * The prices of a target (docs/cost.md): storage from the database's size, compute from the instance's hourly price.
   *
   * @param budgetMonthly the monthly budget the forecast is held against (the cost_budget alert's critical level)
   */
  public record Cost(dev.pgopt.cloud.price.PriceTable prices, Optional<Double> instanceHour, Optional<Double> budgetMonthly) {}

  /**
   * A PgBouncer in front of a target (docs/pooler.md).
   *
   * @param adminUrl its admin console: {@code postgres://user@host:6432/pgbouncer}, a user in stats_users
   */
  public record Pooler(String adminUrl, Optional<String> password) {}

  /**
   * A target's backups (docs/backup.md).
   *
   * @param repo a pgopt backup repository (logical) or the directory {@code pgopt backup setup} configured (physical)
   * @param mode {@code logical} (pg_dump) or {@code physical} (pgBackRest)
   * @param url who takes logical backups, when not the target's (often read-only) monitoring role
   * @param type what a scheduled physical backup takes: full, diff or incr (pgBackRest makes the first one full)
   * @param keepLast logical retention: the newest this many backups are always kept
   * @param maxAge logical retention: older ones only while younger than this
   * @param smokeQuery a read-only query a drill's restored database must answer with at least one row
   * @param scratchDir where a drill's scratch server lives (it needs room for the restored database)
   */
  public record Backup(Path repo, String mode, String stanza, Optional<String> url, Optional<String> password,
                       String type, int jobs, int keepLast, Optional<Duration> maxAge, Optional<String> smokeQuery,
                       Optional<Path> scratchDir) {
    public static final String LOGICAL = "logical";
    public static final String PHYSICAL = "physical";

    public boolean physical() {
      return mode.equals(PHYSICAL);
    }
  }

  /** How often each collector runs and what it may cost. */
  public record Collect(Duration activityInterval, Duration statementsInterval, Duration findingsInterval,
                        Duration statementTimeout, int statementsKept, int tablesKept, Duration slowQuery,
                        Duration discoveryInterval) {}

  /** Built-in alerting: rules by name (overrides of the defaults) and channels. */
  public record Alerts(Map<String, RuleSettings> rules, List<Channel> channels, Duration repeatInterval) {}

  /** Overrides for one alert rule; nulls keep the default. */
  public record RuleSettings(Boolean enabled, Double warning, Double critical, Duration forDuration) {}

  /** Where notifications go. {@code kind}: webhook, slack, email or log. */
  public record Channel(String name, String kind, Optional<String> url, Optional<Email> email) {}

  /** SMTP delivery. */
  public record Email(String host, int port, boolean startTls, Optional<String> username, Optional<String> password,
                      String from, List<String> to) {}

  /** Incident detection and the guarded actions, all off unless enabled. */
  public record Incidents(Duration runawayQuery, Duration lockWait, double saturationPercent, boolean dryRun,
                          boolean cancelRunaway, boolean terminateRunaway, Duration terminateAfter,
                          boolean cancelLockBlocker, boolean terminateIdleInTransaction, Duration idleInTransaction,
                          List<String> excludeApplications, List<String> excludeRoles, int maxActions,
                          Duration actionWindow) {}

  /**
   * Cron schedules (UNIX five-field syntax); an empty schedule is off.
   *
   * @param partitionTables time-partitioned tables whose partitions ahead are watched (series partitions_ahead,
   *     default_partition_rows) and, on the {@code partitions} schedule, made {@code partitionPremake} intervals ahead
   */
  public record Maintenance(Optional<String> dailyHealthCheck, Optional<String> weeklyOptimization,
                            Optional<String> refreshViews, List<String> views, Optional<String> analyzeStale,
                            double staleFraction, Optional<String> backup, Optional<String> restoreDrill,
                            Optional<String> partitions, List<String> partitionTables, int partitionPremake) {}

  /**
   * Prometheus exposition: per-statement series are opt-in and capped.
   *
   * @param settings every numeric pg_settings value as {@code pgopt_setting{name, unit}} (opt-in)
   * @param custom metrics from the user's own queries
   */
  public record Metrics(int perStatementSeries, boolean settings, List<CustomMetric> custom) {}

  /**
   * A metric from the user's query, as postgres_exporter's queries.yaml offers: {@code pgopt_custom_<name>}, one
   * series per row, labelled by the {@code labels} columns, valued by the {@code value} column.
   *
   * @param maxSeries rows beyond this refuse the whole collection (bounded cardinality)
   * @param targets the targets it runs on; empty: all
   */
  public record CustomMetric(String name, String help, String query, List<String> labels, Duration interval,
                             Duration timeout, int maxSeries, List<String> targets) {
    /** Whether it runs on {@code target}, named itself or by the discovery entry ({@code entry}) it came from. */
    public boolean runsOn(String target, String entry) {
      return targets.isEmpty() || targets.contains(target) || targets.contains(entry);
    }
  }
}
