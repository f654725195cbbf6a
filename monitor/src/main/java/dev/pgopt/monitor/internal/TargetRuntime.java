package dev.pgopt.monitor.internal;

import dev.pgopt.advise.Advisor;
import dev.pgopt.advise.whatif.IndexBudget;
import dev.pgopt.analyze.health.HealthChecker;
import dev.pgopt.analyze.health.HealthReport;
import dev.pgopt.analyze.health.Thresholds;
import dev.pgopt.analyze.workload.WorkloadWindow;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.connect.Sql;
import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.internal.collect.PoolerState;
import dev.pgopt.monitor.internal.collect.CostState;
import dev.pgopt.lifecycle.LifecycleException;
import dev.pgopt.lifecycle.PartitionMaintenance;
import dev.pgopt.monitor.internal.collect.ActivitySnapshot;
import dev.pgopt.monitor.internal.collect.CollectorQueries;
import dev.pgopt.monitor.internal.collect.Derivations;
import dev.pgopt.monitor.internal.collect.Series;
import dev.pgopt.monitor.internal.collect.SlowSnapshot;
import dev.pgopt.monitor.internal.collect.OwnSessions;
import dev.pgopt.monitor.internal.collect.TargetCollector;
import dev.pgopt.monitor.internal.maintenance.MaintenanceTarget;
import dev.pgopt.monitor.internal.maintenance.TargetBackups;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One monitored target while the server runs: its two sessions (one for the collection schedule, one for API and
 * maintenance work, so a slow advisor run never delays a sample) and the latest of everything collected.
 */
public final class TargetRuntime implements MaintenanceTarget {
  final MonitorConfig.Target config;
  final DatabaseTarget database;
  final TargetCollector collector;
  final TargetCollector worker;
  // incident remediation only: short timeouts, never waits behind an advisor run or an HTTP request on the worker
  final TargetCollector remediator;
  final OwnSessions own = new OwnSessions();
  private final SessionOptions workOptions;
  private final Clock clock;
  private final Optional<TargetBackups> backups;
  private final Optional<PoolerState> pooler;
  private final Optional<CostState> cost;
  final Derivations.SlowQueryTracker slowQueries = new Derivations.SlowQueryTracker();

  volatile ActivitySnapshot activity;
  volatile SlowSnapshot slow;
  volatile StatementSnapshot statements;
  volatile WorkloadWindow window;
  volatile Map<Series, Double> values = Map.of(Series.UP, 0.0);
  volatile boolean up;
  volatile String lastError = "not collected yet";
  volatile Instant lastSuccess;
  volatile Advisor.Advice findings;
  volatile Instant findingsAt;
  volatile Instant findingsTriedAt;
  /** consecutive failed activity collections, and when the next may try to connect */
  volatile int failures;
  volatile Instant retryAt;
  /** when the last activity collection started: a catch-up run right after it is skipped */
  volatile Instant activityStartedAt;
  /** the configuration entry it came from: its own name, or the discovery entry that found its database */
  volatile String entry;
  /** table sizes over the store's history, read before each advice run */
  volatile dev.pgopt.advise.TableGrowth growth = dev.pgopt.advise.TableGrowth.NONE;
  volatile long slowQueriesSeen;
  /** custom metric -> its last error, so a failing query is logged when its error changes, not at every interval */
  final Map<String, String> customErrors = new java.util.concurrent.ConcurrentHashMap<>();

  TargetRuntime(MonitorConfig.Target config, DatabaseTarget database, Duration statementTimeout, Clock clock,
                Optional<TargetBackups> backups, Optional<PoolerState> pooler) {
    this.config = config;
    this.backups = backups;
    this.pooler = pooler;
    this.cost = config.cost().map(CostState::new);
    this.database = database;
    this.clock = clock;
    SessionOptions collect = new SessionOptions(Duration.ofSeconds(5), statementTimeout, Duration.ofSeconds(1), "pgopt-monitor");
    this.workOptions = new SessionOptions(Duration.ofSeconds(5), Duration.ofSeconds(120), Duration.ofSeconds(5), "pgopt-monitor-work");
    this.collector = new TargetCollector(database, collect, clock, own);
    this.worker = new TargetCollector(database, workOptions, clock, own);
    this.remediator = new TargetCollector(database,
        new SessionOptions(Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(1), "pgopt-monitor-remediate"), clock, own);
  }

  /** The configuration entry it came from: its own name, or that of the discovery entry that found its database. */
  public String entry() {
    return entry == null ? name() : entry;
  }

  /** The pids of this monitor's own sessions on the target. */
  public OwnSessions own() {
    return own;
  }

  public MonitorConfig.Target config() {
    return config;
  }

  public Optional<PoolerState> pooler() {
    return pooler;
  }

  public Optional<CostState> cost() {
    return cost;
  }

  @Override
  public Optional<TargetBackups> backups() {
    return backups;
  }

  @Override
  public String name() {
    return config.name();
  }

  public boolean up() {
    return up;
  }

  public String lastError() {
    return lastError;
  }

  public Instant lastSuccess() {
    return lastSuccess;
  }

  public ActivitySnapshot latestActivity() {
    return activity;
  }

  public SlowSnapshot latestSlow() {
    return slow;
  }

  public WorkloadWindow latestWindow() {
    return window;
  }

  public Map<Series, Double> values() {
    return values;
  }

  public Advisor.Advice findings() {
    return findings;
  }

  public Instant findingsAt() {
    return findingsAt;
  }

  public TargetCollector worker() {
    return worker;
  }

  public DatabaseTarget database() {
    return database;
  }

  // two collector threads merge into the same map: one at a time, or an update is lost
  synchronized void merge(Map<Series, Double> fresh) {
    Map<Series, Double> m = new EnumMap<>(Series.class);
    m.putAll(values);
    m.putAll(fresh);
    values = Map.copyOf(m);
  }

  @Override
  public HealthReport health() throws DatabaseFailure {
    return worker.useSession(s -> new HealthChecker(HealthChecker.standardChecks(), clock)
        .run(s, Thresholds.defaults(HealthChecker.standardThresholds())));
  }

  /** Closes the session of occasional work (findings, health, maintenance); the next such work opens one again. */
  void releaseWorkSession() {
    worker.close();
  }

  @Override
  public Advisor.Advice advise() throws DatabaseFailure {
    Advisor.Advice advice = worker.useSession(s -> new Advisor(Advisor.standardRules(20, IndexBudget.DEFAULT, growth), clock)
        .allowingUserFunctions(config.allowUserFunctions())
        .run(s, Map.of(), Map.of(), r -> true));
    findings = advice;
    findingsAt = clock.instant();
    return advice;
  }

  @Override
  public List<String> staleTables(double fraction, int limit) throws DatabaseFailure {
    return worker.withSession(c -> Sql.list(c, CollectorQueries.MARK + """
         SELECT format('%I.%I', s.schemaname, s.relname)
           FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
          WHERE s.n_mod_since_analyze > 50 + ? * greatest(c.reltuples, 0)
          ORDER BY s.n_mod_since_analyze DESC LIMIT ?""", rs -> rs.getString(1), fraction, limit));
  }

  @Override
  public void execute(String sql, Duration timeout) throws DatabaseFailure {
    SessionOptions options = workOptions.withStatementTimeout(timeout);
    try (Connection c = Connections.open(database, options)) {
      c.setAutoCommit(true);
      int pid = own.record(c);
      try (Statement st = c.createStatement()) {
        st.execute("SET statement_timeout = '" + timeout.toMillis() + "ms'");
        st.execute("SET lock_timeout = '5s'");
        st.execute(sql);
      } finally {
        own.forget(pid);
      }
    } catch (SQLException e) {
      throw new DatabaseFailure(DatabaseFailure.Kind.OTHER, sql.split(" ", 2)[0] + " on " + config.name()
          + " failed: " + (e.getMessage() == null ? e.getSQLState() : e.getMessage().lines().findFirst().orElse("")), e);
    }
  }

  @Override
  public ActivitySnapshot activity() throws DatabaseFailure {
    return worker.activity();
  }

  @Override
  public Optional<PartitionMaintenance.Plan> partitions(String table, int premake, boolean make) throws DatabaseFailure {
    Optional<PartitionMaintenance.Plan> plan = partitionPlan(table, premake);
    if (make && plan.isPresent() && !plan.get().create().isEmpty()) {
      try (Connection c = Connections.open(database, workOptions)) {
        int pid = own.record(c);
        try {
          PartitionMaintenance.execute(c, plan.get(), Duration.ofSeconds(5));
        } finally {
          own.forget(pid);
        }
      } catch (SQLException e) {
        throw new DatabaseFailure(DatabaseFailure.Kind.OTHER, "partitions of " + table + " on " + config.name()
            + " not made: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
      }
    }
    return plan;
  }

  /** The plan for {@code table}, read-only; empty when the target has no such partitioned table. */
  private Optional<PartitionMaintenance.Plan> partitionPlan(String table, int premake) throws DatabaseFailure {
    return worker.withSession(c -> {
      try {
        return Optional.of(PartitionMaintenance.plan(c, table, premake));
      } catch (LifecycleException e) {
        return Optional.empty();
      }
    });
  }

  /**
   * partitions_ahead (the fewest partitions starting after now among {@code tables}) and default_partition_rows, for
   * the tables this target has.
   */
  public Map<Series, Double> partitionValues(List<String> tables, int premake) throws DatabaseFailure {
    Map<Series, Double> v = new java.util.EnumMap<>(Series.class);
    for (String table : tables) {
      Optional<PartitionMaintenance.Plan> plan = partitionPlan(table, premake);
      if (plan.isEmpty() || plan.get().managedBy().isPresent()) {
        continue;
      }
      v.merge(Series.PARTITIONS_AHEAD, (double) plan.get().ahead(), Math::min);
      v.merge(Series.DEFAULT_PARTITION_ROWS, (double) plan.get().defaultRows().orElse(0L), Double::sum);
    }
    return v;
  }

  void close() {
    pooler.ifPresent(PoolerState::close);
    collector.close();
    worker.close();
    remediator.close();
  }
}
