package dev.pgopt.monitor.internal;

import dev.pgopt.analyze.workload.StatementDelta;
import dev.pgopt.analyze.workload.WorkloadWindow;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.collect.StatementSnapshotFile;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.InvalidTargetException;
import dev.pgopt.connect.Sql;
import dev.pgopt.monitor.ConfigException;
import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.internal.alert.AlertEngine;
import dev.pgopt.monitor.internal.alert.AlertRule;
import dev.pgopt.monitor.internal.alert.Channel;
import dev.pgopt.monitor.internal.alert.Dispatcher;
import dev.pgopt.monitor.internal.alert.EmailChannel;
import dev.pgopt.monitor.internal.alert.LogChannel;
import dev.pgopt.monitor.internal.alert.Notification;
import dev.pgopt.monitor.internal.alert.Severity;
import dev.pgopt.monitor.internal.alert.WebhookChannel;
import dev.pgopt.monitor.internal.collect.ActivitySnapshot;
import dev.pgopt.monitor.internal.collect.BackupState;
import dev.pgopt.monitor.internal.collect.CustomMetricQuery;
import dev.pgopt.monitor.internal.collect.PoolerState;
import dev.pgopt.monitor.internal.collect.NumericSettings;
import dev.pgopt.monitor.internal.collect.TargetCollector;
import dev.pgopt.monitor.internal.metrics.CustomMeters;
import dev.pgopt.monitor.internal.collect.CollectorQueries;
import dev.pgopt.monitor.internal.collect.Derivations;
import dev.pgopt.monitor.internal.collect.Series;
import dev.pgopt.monitor.internal.collect.SlowSnapshot;
import dev.pgopt.monitor.internal.incident.BackendSignals;
import dev.pgopt.monitor.internal.incident.Guardrails;
import dev.pgopt.monitor.internal.incident.Incident;
import dev.pgopt.monitor.internal.incident.IncidentResponder;
import dev.pgopt.monitor.internal.maintenance.MaintenanceRunner;
import dev.pgopt.monitor.internal.maintenance.MaintenanceScheduler;
import dev.pgopt.monitor.internal.maintenance.BackgroundRuns;
import dev.pgopt.monitor.internal.maintenance.MaintenanceTask;
import dev.pgopt.monitor.internal.maintenance.TargetBackups;
import dev.pgopt.monitor.internal.metrics.TargetMeters;
import dev.pgopt.monitor.internal.store.HistoryReads;
import dev.pgopt.monitor.internal.store.HistoryStore;
import dev.pgopt.monitor.internal.store.HistoryWrites;
import dev.pgopt.monitor.internal.store.StoreUnavailableException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running monitor: per target, the activity and statements schedules; after each sample, history, alerts and
 * incident detection; on their own threads, findings, maintenance and notification delivery. Nothing a target or
 * the store does can stop the schedules: every failure is caught, recorded as state, and reported.
 */
public final class MonitorCore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MonitorCore.class);
  /** How soon findings are tried again when the target was down or the run failed. */
  static final Duration FINDINGS_RETRY = Duration.ofSeconds(30);
  /** The first findings runs of a fleet are spread over this (or the findings interval, if shorter). */
  static final Duration FINDINGS_SPREAD = Duration.ofMinutes(10);
  /** A target that keeps failing is tried again after up to this many intervals, not every one. */
  static final int MAX_BACKOFF_INTERVALS = 8;
  /** How far back table sizes are read for growth: the raw retention bounds what is there. */
  static final Duration GROWTH_HISTORY = Duration.ofDays(30);
  static final String STATEMENTS_STATE = "statements_snapshot";

  final MonitorConfig config;
  final Clock clock;
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final HistoryStore store;
  // replaced whole when discovery adds or removes a target (copy on write): readers on any thread see one consistent map
  volatile Map<String, TargetRuntime> targets;
  final Map<String, TargetMeters> meters = new ConcurrentHashMap<>();
  /** The scheduled collections of each target, cancelled when discovery removes it. */
  private final Map<String, List<ScheduledFuture<?>>> schedules = new ConcurrentHashMap<>();
  /** Discovery entries with their servers, listed again every {@code collect.discovery_interval}. */
  private final Map<MonitorConfig.Target, DatabaseTarget> discovery = new LinkedHashMap<>();
  private final Environment env;
  private final String source;
  final AlertEngine alerts;
  final Dispatcher dispatcher;
  final Guardrails guardrails;
  final IncidentResponder incidents;
  final MaintenanceRunner maintenance;
  final MaintenanceScheduler scheduler;
  final String instance;
  private final ScheduledThreadPoolExecutor collect;
  private final ScheduledThreadPoolExecutor work;
  private final ScheduledThreadPoolExecutor background;
  // custom metrics: null unless configured, so they cost nothing when unused
  private final CustomMeters custom;
  private final Map<String, TargetCollector> customSessions = new ConcurrentHashMap<>();
  private final BackgroundRuns backgroundRuns;
  final ClientReports clients;

  public MonitorCore(MonitorConfig config, Environment env, Clock clock, String source) throws ConfigException {
    this.config = config;
    this.clock = clock;
    this.env = env;
    this.source = source;
    this.instance = ManagementFactory.getRuntimeMXBean().getName();
    // targets named in the configuration first: a discovered database never takes the name of one
    List<MonitorConfig.Target> entries = new ArrayList<>(config.targets());
    entries.sort(Comparator.comparing((MonitorConfig.Target t) -> t.databases().isPresent()));
    Map<String, TargetRuntime> found = new LinkedHashMap<>();
    for (MonitorConfig.Target entry : entries) {
      DatabaseTarget server = parse(entry.url(), entry.password(), env, source, "targets." + entry.name());
      if (entry.databases().isPresent()) {
        discovery.put(entry, server);
      }
      Map<MonitorConfig.Target, DatabaseTarget> expanded = expand(entry, server);
      for (Map.Entry<MonitorConfig.Target, DatabaseTarget> one : expanded.entrySet()) {
        MonitorConfig.Target t = one.getKey();
        if (found.containsKey(t.name())) {
          LOG.warn("targets.{}: database {} would be target {}, which is taken: not monitored", entry.name(),
              one.getValue().database(), t.name());
          continue;
        }
        found.put(t.name(), runtime(t, entry.name(), one.getValue()));
      }
    }
    this.targets = java.util.Collections.unmodifiableMap(found);
    DatabaseTarget storeTarget = parse(config.store().url(), config.store().password(), env, source, "store.url");
    var schedules = MaintenanceScheduler.schedules(config.maintenance(), source);
    this.store = new HistoryStore(storeTarget, config.store().rawRetention(), config.store().hourlyRetention(),
        config.store().bufferedRows(), clock, registry);
    this.alerts = new AlertEngine(AlertRule.configured(config.alerts().rules()), config.alerts().repeatInterval(),
        (name, rule) -> {
          TargetRuntime rt = targets.get(name);
          return rt == null ? null : rule.equals("database_size")
              ? rt.config.sizeBudgetBytes().map(Long::doubleValue).orElse(null)
              : rt.config.cost().flatMap(MonitorConfig.Cost::budgetMonthly).orElse(null);
        });
    this.dispatcher = new Dispatcher(channels(config.alerts().channels()), 5, Duration.ofSeconds(1), registry);
    this.guardrails = new Guardrails(config.incidents(), clock);
    BackendSignals signals = this::signal;
    this.incidents = new IncidentResponder(config.incidents(), guardrails, signals, clock, new IncidentSink());
    this.maintenance = new MaintenanceRunner(store, config, guardrails, signals, clock, instance, dispatcher::dispatch);
    this.background = executor("pgopt-backup", 1);
    this.backgroundRuns = new BackgroundRuns(background);
    this.scheduler = new MaintenanceScheduler(schedules, maintenance, () -> List.copyOf(targets.values()), clock,
        backgroundRuns);
    this.clients = new ClientReports(clock, registry);
    targets.values().forEach(this::register);
    Gauge.builder("pgopt.alerts.firing", alerts, a -> a.active().stream().filter(AlertEngine.Active::firing).count())
        .description("alerts firing now").register(registry);
    Gauge.builder("pgopt.incidents.open", incidents, i -> i.open().size()).description("incidents open now").register(registry);
    this.custom = config.metrics().custom().isEmpty() && !config.metrics().settings() ? null
        : new CustomMeters(registry, config.metrics().custom(), config.metrics().settings());
    this.collect = executor("pgopt-collect", collectThreads(targets.size()));
    this.work = executor("pgopt-work", 2);
  }

  /** The target's Prometheus series. */
  private void register(TargetRuntime rt) {
    meters.put(rt.name(), new TargetMeters(registry, rt.name(), new TargetMeters.Source() {
      @Override
      public ActivitySnapshot activity() {
        return rt.activity;
      }

      @Override
      public StatementSnapshot statements() {
        return rt.statements;
      }

      @Override
      public Map<Series, Double> values() {
        return rt.values;
      }

      @Override
      public long slowQueriesSeen() {
        return rt.slowQueriesSeen;
      }
    }, config.metrics().perStatementSeries(), rt.backups().isPresent(), rt.pooler().isPresent(),
        rt.cost().isPresent()));
  }

  /** A discovery entry's databases, each with its target name; a single target as it is. */
  private Map<MonitorConfig.Target, DatabaseTarget> expand(MonitorConfig.Target entry, DatabaseTarget server) {
    Map<MonitorConfig.Target, DatabaseTarget> out = new LinkedHashMap<>();
    if (entry.databases().isEmpty()) {
      out.put(entry, server);
      return out;
    }
    try {
      List<String> found = TargetDiscovery.databases(server, entry.databases().get());
      if (found.size() > MonitorConfig.MAX_TARGETS) {
        LOG.warn("targets.{}: {} databases match {} on {}, more than the {} targets one monitor takes: none of them is"
            + " monitored; narrow the pattern or split the fleet", entry.name(), found.size(), entry.databases().get(),
            server.display(), MonitorConfig.MAX_TARGETS);
        return out;
      }
      for (String db : found) {
        out.put(entry.discovered(TargetDiscovery.targetName(entry.name(), db)), server.withDatabase(db));
      }
      LOG.info("targets.{}: {} databases matching {} on {}", entry.name(), out.size(), entry.databases().get(),
          server.display());
    } catch (DatabaseFailure e) {
      LOG.warn("targets.{}: the databases of {} could not be listed ({}): none of them is monitored until a later"
          + " listing (collect.discovery_interval) reaches it", entry.name(), server.display(), e.getMessage());
    }
    return out;
  }

  private TargetRuntime runtime(MonitorConfig.Target t, String entry, DatabaseTarget database) throws ConfigException {
    Optional<TargetBackups> backups = Optional.empty();
    if (t.backup().isPresent()) {
      MonitorConfig.Backup b = t.backup().get();
      DatabaseTarget backupSource = b.url().isPresent()
          ? parse(b.url().get(), b.password(), env, source, "targets." + t.name() + ".backup.url") : database;
      backups = Optional.of(new TargetBackups(b, backupSource, clock));
    }
    Optional<PoolerState> pooler = Optional.empty();
    if (t.pooler().isPresent()) {
      pooler = Optional.of(new PoolerState(t.name(), parse(t.pooler().get().adminUrl(), t.pooler().get().password(), env,
          source, "targets." + t.name() + ".pgbouncer.admin_url"), clock));
    }
    TargetRuntime rt = new TargetRuntime(t, database, config.collect().statementTimeout(), clock, backups, pooler);
    rt.entry = entry;
    return rt;
  }

  /**
   * Two per target up to 8, then a third of the targets up to 32: a collection mostly waits on the network, and a
   * target that hangs holds a thread for its timeout, so a fleet needs threads beyond the cores.
   */
  static int collectThreads(int targets) {
    return Math.max(2, Math.max(Math.min(8, targets * 2), Math.min(32, targets / 3)));
  }

  private static ScheduledThreadPoolExecutor executor(String name, int threads) {
    ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(threads, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
    ex.setRemoveOnCancelPolicy(true);
    return ex;
  }

  private static DatabaseTarget parse(String url, Optional<String> password, Environment env, String source, String key)
      throws ConfigException {
    Environment withPassword = password.isEmpty() ? env : new Environment() {
      @Override
      public Optional<String> get(String name) {
        return name.equals("PGPASSWORD") ? password : env.get(name);
      }

      @Override
      public java.nio.file.Path home() {
        return env.home();
      }

      @Override
      public String userName() {
        return env.userName();
      }
    };
    try {
      return DatabaseTarget.parse(url, withPassword);
    } catch (InvalidTargetException e) {
      throw new ConfigException(source + ": " + key + ": " + e.getMessage());
    }
  }

  private static List<Channel> channels(List<MonitorConfig.Channel> configured) {
    List<Channel> out = new ArrayList<>();
    for (MonitorConfig.Channel c : configured) {
      out.add(switch (c.kind()) {
        case "webhook" -> new WebhookChannel(c.name(), c.url().orElseThrow(), false);
        case "slack" -> new WebhookChannel(c.name(), c.url().orElseThrow(), true);
        case "email" -> new EmailChannel(c.name(), c.email().orElseThrow());
        default -> new LogChannel(c.name());
      });
    }
    return out;
  }

  /** Starts the store and the schedules. */
  public void start() {
    if (store.start()) {
      restore();
    }
    // spread over the interval: a fleet's targets are not all asked at the same instant
    int n = targets.size();
    int i = 0;
    for (TargetRuntime rt : targets.values()) {
      schedule(rt, i++, n);
    }
    work.scheduleWithFixedDelay(() -> guarded(scheduler::tick), 1, 5, TimeUnit.SECONDS);
    long rediscover = config.collect().discoveryInterval().toMillis();
    if (!discovery.isEmpty() && rediscover > 0) {
      work.scheduleWithFixedDelay(() -> guarded(this::rediscover), rediscover, rediscover, TimeUnit.MILLISECONDS);
    }
  }

  /** The target's collections, the {@code i}-th of {@code n} spread over each interval. */
  private void schedule(TargetRuntime rt, int i, int n) {
    long activity = config.collect().activityInterval().toMillis();
    long statements = config.collect().statementsInterval().toMillis();
    long findingsSpread = Math.min(config.collect().findingsInterval().toMillis(), FINDINGS_SPREAD.toMillis());
    List<ScheduledFuture<?>> tasks = new ArrayList<>();
    // at a fixed rate: a sample per interval whatever a collection took (one that overruns delays the next, never
    // overlaps it)
    tasks.add(collect.scheduleAtFixedRate(() -> guarded(() -> collectActivity(rt)), i * activity / n, activity,
        TimeUnit.MILLISECONDS));
    tasks.add(collect.scheduleWithFixedDelay(() -> guarded(() -> collectSlow(rt)), 200 + i * statements / n, statements,
        TimeUnit.MILLISECONDS));
    // a short tick decides whether findings are due: on schedule, or soon again after a failed or skipped run
    tasks.add(work.scheduleWithFixedDelay(() -> guarded(() -> refreshFindings(rt)), 2_000 + i * findingsSpread / n,
        Math.min(FINDINGS_RETRY.toMillis(), config.collect().findingsInterval().toMillis()), TimeUnit.MILLISECONDS));
    for (MonitorConfig.CustomMetric m : config.metrics().custom()) {
      if (m.runsOn(rt.name(), rt.entry())) {
        CustomMetricQuery query = new CustomMetricQuery(m, rt.config.allowUserFunctions());
        tasks.add(collect.scheduleWithFixedDelay(() -> guarded(() -> collectCustom(rt, query)), 500, m.interval().toMillis(),
            TimeUnit.MILLISECONDS));
      }
    }
    schedules.put(rt.name(), tasks);
  }

  /**
   * Lists each discovery entry's databases again: a database that appeared becomes a target (collected from now on,
   * its series registered), one that is gone stops being one (its collections cancelled, its series removed, its
   * alerts resolved). A server that cannot be listed changes nothing: its databases stay as they were.
   */
  void rediscover() {
    for (Map.Entry<MonitorConfig.Target, DatabaseTarget> d : discovery.entrySet()) {
      MonitorConfig.Target entry = d.getKey();
      List<String> found;
      try {
        found = TargetDiscovery.databases(d.getValue(), entry.databases().get());
      } catch (DatabaseFailure e) {
        LOG.warn("targets.{}: the databases of {} could not be listed again ({}): its targets stay as they are",
            entry.name(), d.getValue().display(), e.getMessage());
        continue;
      }
      Map<String, String> entryOf = new LinkedHashMap<>();
      targets.values().forEach(rt -> entryOf.put(rt.name(), rt.entry()));
      TargetDiscovery.Change change = TargetDiscovery.changes(entry.name(), entryOf, found);
      if (change.none()) {
        continue;
      }
      Map<String, TargetRuntime> next = new LinkedHashMap<>(targets);
      List<TargetRuntime> removed = new ArrayList<>();
      change.removed().forEach(name -> removed.add(next.remove(name)));
      List<TargetRuntime> added = new ArrayList<>();
      for (Map.Entry<String, String> a : change.added().entrySet()) {
        if (next.size() >= MonitorConfig.MAX_TARGETS) {
          LOG.warn("targets.{}: database {} not monitored: the monitor holds {} targets, the most it takes", entry.name(),
              a.getValue(), MonitorConfig.MAX_TARGETS);
          break;
        }
        try {
          TargetRuntime rt = runtime(entry.discovered(a.getKey()), entry.name(), d.getValue().withDatabase(a.getValue()));
          next.put(rt.name(), rt);
          added.add(rt);
        } catch (ConfigException e) {
          LOG.warn("targets.{}: database {} not monitored: {}", entry.name(), a.getValue(), e.getMessage());
        }
      }
      targets = java.util.Collections.unmodifiableMap(next);
      collect.setCorePoolSize(Math.max(collect.getCorePoolSize(), collectThreads(next.size())));
      for (TargetRuntime rt : removed) {
        forget(rt);
        LOG.info("targets.{}: database {} is gone from {}: target {} no longer monitored", entry.name(),
            rt.database.database(), d.getValue().display(), rt.name());
      }
      for (int i = 0; i < added.size(); i++) {
        TargetRuntime rt = added.get(i);
        register(rt);
        schedule(rt, i, added.size());
        LOG.info("targets.{}: database {} appeared on {}: monitored as target {}", entry.name(), rt.database.database(),
            d.getValue().display(), rt.name());
      }
    }
  }

  /** Stops a removed target's collections and drops its series, sessions and alerts. */
  private void forget(TargetRuntime rt) {
    List<ScheduledFuture<?>> tasks = schedules.remove(rt.name());
    if (tasks != null) {
      tasks.forEach(t -> t.cancel(false));
    }
    meters.remove(rt.name());
    registry.getMeters().stream().filter(m -> rt.name().equals(m.getId().getTag("target"))).forEach(registry::remove);
    Instant now = clock.instant();
    for (AlertEngine.Event e : alerts.forget(rt.name(), now)) {
      store.write(HistoryWrites.alertResolved(e.alert().id(), now));
      dispatcher.dispatch(e.notification());
    }
    TargetCollector custom = customSessions.remove(rt.name());
    if (custom != null) {
      custom.close();
    }
    rt.close();
  }

  /** One custom metric on one target, on a session of its own: a slow query never delays the regular collection. */
  void collectCustom(TargetRuntime rt, CustomMetricQuery query) {
    TargetCollector session = customSessions.computeIfAbsent(rt.name(), n -> new TargetCollector(rt.database,
        new SessionOptions(Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(1), "pgopt-monitor-custom"),
        clock, rt.own));
    String name = query.metric().name();
    try {
      custom.collected(name, rt.name(), query.run(session));
      rt.customErrors.remove(name);
    } catch (CustomMetricQuery.Failed e) {
      custom.failed(name, rt.name(), e.reason());
      if (!e.getMessage().equals(rt.customErrors.put(name, e.getMessage()))) {
        LOG.warn("custom metric {} on {}: {} ({})", name, rt.name(), e.getMessage(), e.reason());
      }
    }
  }

  /** A stored row's severity; a row some other version wrote with a name this one does not know is not restored. */
  private static Optional<Severity> severity(String stored) {
    try {
      return Optional.of(Severity.of(stored));
    } catch (IllegalArgumentException | NullPointerException unknown) {
      LOG.warn("stored alert with unknown severity '{}' not restored", stored);
      return Optional.empty();
    }
  }

  private void restore() {
    try {
      store.read(c -> {
        for (HistoryReads.AlertRow a : HistoryReads.alerts(c, true, 1000)) {
          if (targets.containsKey(a.target())) {
            severity(a.severity()).ifPresent(s -> alerts.restore(a.id(), a.target(), a.rule(), s, a.startedAt(), clock.instant()));
          }
        }
        for (TargetRuntime rt : targets.values()) {
          Optional<String> json = HistoryReads.state(c, rt.name(), STATEMENTS_STATE);
          if (json.isPresent()) {
            try {
              rt.statements = StatementSnapshotFile.fromJson(json.get(), "the stored statements snapshot of " + rt.name());
            } catch (IllegalArgumentException e) {
              LOG.warn("{}; deltas restart from the next snapshot", e.getMessage());
            }
          }
        }
        return null;
      });
    } catch (StoreUnavailableException e) {
      LOG.warn("could not restore state from the history store: {}", e.getMessage());
    }
  }

  /** A scheduled task that throws is cancelled by its executor: nothing may escape, not even an Error. */
  static void guarded(Runnable r) {
    try {
      r.run();
    } catch (Throwable e) {
      LOG.error("monitor task failed; it runs again on schedule", e);
    }
  }

  void collectActivity(TargetRuntime rt) {
    Instant now = clock.instant();
    if (!due(rt.activityStartedAt, now, config.collect().activityInterval())) {
      return;
    }
    rt.activityStartedAt = now;
    if (backingOff(rt)) {
      return;
    }
    Timer.Sample sample = Timer.start(registry);
    ActivitySnapshot snap;
    try {
      snap = rt.collector.activity();
    } catch (DatabaseFailure e) {
      sample.stop(timer(rt, "activity"));
      down(rt, e, "activity");
      return;
    }
    sample.stop(timer(rt, "activity"));
    ActivitySnapshot previous = rt.activity;
    int newSlow = rt.slowQueries.observe(snap, config.collect().slowQuery());
    rt.slowQueriesSeen += newSlow;
    Map<Series, Double> values = new java.util.EnumMap<>(Series.class);
    values.putAll(Derivations.activity(previous, snap, newSlow));
    rt.pooler().ifPresent(p -> values.putAll(p.values()));
    rt.activity = snap;
    if (!rt.up) {
      LOG.info("target {} is up", rt.name());
    }
    rt.up = true;
    rt.failures = 0;
    rt.retryAt = null;
    rt.lastError = "";
    rt.lastSuccess = snap.takenAt();
    rt.merge(values);
    store.write(HistoryWrites.samples(rt.name(), snap.takenAt(), values));
    evaluate(rt, snap.takenAt());
    incidents.observe(rt.name(), snap, rt.config.expectedReplicas());
  }

  /**
   * Whether a fixed-rate run is a sample of its own: after a collection that overran (a target that took a minute to
   * answer), the executor fires the missed runs back to back, and samples a few milliseconds apart would make every
   * rate derived from them noise. A run within half an interval of the last one is skipped.
   */
  static boolean due(Instant lastStart, Instant now, Duration interval) {
    return lastStart == null || !now.isBefore(lastStart.plus(interval.dividedBy(2)));
  }

  void collectSlow(TargetRuntime rt) {
    // once a target has failed, the activity collection alone probes it until it is back
    if (!rt.up && rt.failures > 0) {
      return;
    }
    Timer.Sample sample = Timer.start(registry);
    SlowSnapshot slow;
    try {
      slow = rt.collector.slow();
    } catch (DatabaseFailure e) {
      sample.stop(timer(rt, "statements"));
      down(rt, e, "statements");
      return;
    }
    sample.stop(timer(rt, "statements"));
    rt.slow = slow;
    WorkloadWindow window = null;
    if (slow.statements().isPresent()) {
      StatementSnapshot now = slow.statements().get();
      StatementSnapshot before = rt.statements;
      if (before != null && before.dbId() == now.dbId() && before.takenAt().isBefore(now.takenAt())) {
        window = WorkloadWindow.between(before, now);
        List<StatementDelta> top = Derivations.workload(window.deltas()).stream()
            .filter(d -> d.counters().calls() > 0)
            .sorted(Comparator.comparingDouble((StatementDelta d) -> d.counters().totalExecMs()).reversed())
            .limit(config.collect().statementsKept()).toList();
        store.write(HistoryWrites.statements(rt.name(), now.takenAt(), window.length().toMillis() / 1000.0, top));
        TargetMeters m = meters.get(rt.name());
        if (m != null) {
          m.statements(window.deltas());
        }
        rt.window = window;
      }
      rt.statements = now;
      store.write(HistoryWrites.state(rt.name(), STATEMENTS_STATE, StatementSnapshotFile.toJson(now), now.takenAt()));
    }
    if (config.collect().tablesKept() > 0) {
      List<SlowSnapshot.TableRow> top = slow.tables().stream()
          .sorted(Comparator.comparingLong((SlowSnapshot.TableRow t) -> t.bytes() + t.deadTuples() * 100L).reversed())
          .limit(config.collect().tablesKept()).toList();
      store.write(HistoryWrites.tables(rt.name(), slow.takenAt(), top));
    }
    Map<Series, Double> values = new java.util.EnumMap<>(Series.class);
    values.putAll(Derivations.statements(window, slow.databaseBytes()));
    rt.cost().ifPresent(c -> values.putAll(c.values(slow.takenAt(), slow.databaseBytes())));
    if (!config.maintenance().partitionTables().isEmpty()) {
      try {
        values.putAll(rt.partitionValues(config.maintenance().partitionTables(), config.maintenance().partitionPremake()));
      } catch (DatabaseFailure e) {
        LOG.warn("partitions of {} not read: {}", rt.name(), e.getMessage());
      }
    }
    rt.backups().ifPresent(b -> values.putAll(BackupState.values(b, slow.takenAt())));
    if (config.metrics().settings()) {
      try {
        custom.settings(rt.name(), NumericSettings.read(rt.collector));
      } catch (DatabaseFailure e) {
        LOG.warn("settings of {} not read: {}", rt.name(), e.getMessage());
      }
    }
    rt.merge(values);
    store.write(HistoryWrites.samples(rt.name(), slow.takenAt(), values));
    evaluate(rt, slow.takenAt());
  }

  void refreshFindings(TargetRuntime rt) {
    Instant now = clock.instant();
    Instant last = rt.findingsAt;
    if (last != null && now.isBefore(last.plus(config.collect().findingsInterval()))) {
      return;
    }
    if (!rt.up || rt.findingsTriedAt != null && now.isBefore(rt.findingsTriedAt.plus(FINDINGS_RETRY))) {
      return;
    }
    rt.findingsTriedAt = now;
    try {
      // growth from the sizes this monitor kept: partition advice sized by weeks of history, not one window
      rt.growth = dev.pgopt.advise.TableGrowth.of(store.read(c -> dev.pgopt.monitor.StoredHistory.tableGrowth(c, rt.name(),
          GROWTH_HISTORY)));
    } catch (StoreUnavailableException e) {
      LOG.debug("table growth of {} not read: {}", rt.name(), e.getMessage());
    }
    try {
      rt.advise();
    } catch (DatabaseFailure e) {
      LOG.warn("findings for {} not refreshed: {}; trying again in {} s", rt.name(), e.getMessage(), FINDINGS_RETRY.toSeconds());
    } finally {
      // findings run hourly: a fleet keeps one session per target (the collector's), not two
      rt.releaseWorkSession();
    }
  }

  private void down(TargetRuntime rt, DatabaseFailure e, String collector) {
    Counter.builder("pgopt.collection.errors").description("failed collections").tag("target", rt.name())
        .tag("collector", collector).register(registry).increment();
    if (rt.up || rt.lastSuccess == null) {
      LOG.warn("target {} is down: {}", rt.name(), e.getMessage());
    }
    rt.up = false;
    rt.lastError = e.getMessage();
    Instant now = clock.instant();
    // tried again after 1, 2, 4, then 8 intervals: a dead or hanging target stops holding a collection thread each time
    if (collector.equals("activity")) {
      rt.failures = Math.min(rt.failures + 1, 30);
      long intervals = Math.min(MAX_BACKOFF_INTERVALS, 1L << Math.min(rt.failures - 1, 3));
      rt.retryAt = now.plus(config.collect().activityInterval().multipliedBy(intervals)).minusMillis(50);
    }
    rt.merge(Map.of(Series.UP, 0.0));
    store.write(HistoryWrites.samples(rt.name(), now, Map.of(Series.UP, 0.0)));
    evaluate(rt, now);
    incidents.unreachable(rt.name(), e.getMessage());
  }

  /** While a failing target waits for its next try, its activity samples say it is down, without a connection attempt. */
  private boolean backingOff(TargetRuntime rt) {
    Instant retryAt = rt.retryAt;
    Instant now = clock.instant();
    if (rt.up || retryAt == null || !now.isBefore(retryAt)) {
      return false;
    }
    rt.merge(Map.of(Series.UP, 0.0));
    store.write(HistoryWrites.samples(rt.name(), now, Map.of(Series.UP, 0.0)));
    evaluate(rt, now);
    return true;
  }

  private Timer timer(TargetRuntime rt, String collector) {
    return Timer.builder("pgopt.collection.duration").description("time to collect one snapshot")
        .tag("target", rt.name()).tag("collector", collector).register(registry);
  }

  private void evaluate(TargetRuntime rt, Instant at) {
    Map<Series, Double> values = rt.values;
    if (!rt.up) {
      values = Map.of(Series.UP, 0.0);
    }
    for (AlertEngine.Event e : alerts.evaluate(rt.name(), values, at)) {
      AlertEngine.Active a = e.alert();
      if (e.event() == Notification.Event.RESOLVED) {
        store.write(HistoryWrites.alertResolved(a.id(), at));
      } else {
        store.write(HistoryWrites.alertOpened(a.id(), a.target(), a.rule(), a.severity(), a.value(), e.threshold(),
            e.message(), a.since()));
      }
      dispatcher.dispatch(e.notification());
    }
  }

  /** Cancel or terminate, only if the backend is still the one judged (same pid and same start instant). */
  private boolean signal(String target, int pid, Instant since, boolean terminate) throws DatabaseFailure {
    TargetRuntime rt = targets.get(target);
    if (rt == null) {
      return false;
    }
    String fn = terminate ? "pg_terminate_backend" : "pg_cancel_backend";
    return rt.remediator.withSession(c -> Sql.list(c, CollectorQueries.MARK + " SELECT " + fn + "(pid) FROM pg_stat_activity "
        + "WHERE pid = ? AND ? IN (query_start, xact_start, state_change)", rs -> rs.getBoolean(1), pid,
        java.sql.Timestamp.from(since)).stream().findFirst().orElse(false));
  }

  private final class IncidentSink implements IncidentResponder.Sink {
    @Override
    public void opened(Incident i) {
      LOG.warn("incident {} on {}: {}", i.kind().json(), i.target(), i.subject());
      store.write(HistoryWrites.incidentOpened(i.id(), i.target(), i.kind(), i.severity(), i.subject(), i.details(), i.detectedAt()));
      dispatcher.dispatch(new Notification(i.id(), Notification.Kind.INCIDENT, Notification.Event.OPENED, i.severity(), i.target(),
          i.kind().json(), i.subject(),
          null, null, i.detectedAt(), null));
    }

    @Override
    public void resolved(Incident i, Instant at) {
      LOG.info("incident {} on {} resolved", i.kind().json(), i.target());
      store.write(HistoryWrites.incidentResolved(i.id(), at));
      dispatcher.dispatch(new Notification(i.id(), Notification.Kind.INCIDENT, Notification.Event.RESOLVED, i.severity(),
          i.target(), i.kind().json(), i.subject(),
          null, null, i.detectedAt(), at));
    }

    @Override
    public void action(Incident i, IncidentResponder.Action a) {
      LOG.warn("incident {} on {}: {} pid {} -> {} ({})", i.kind().json(), i.target(), a.action(), a.pid(), a.outcome().json(), a.detail());
      store.write(HistoryWrites.incidentAction(i.id(), i.target(), a.at(), a.action(), a.pid(), a.role(), a.application(),
          a.dryRun(), a.outcome(), a.detail()));
      Counter.builder("pgopt.incident.actions").description("remediation steps by action and outcome")
          .tag("action", a.action()).tag("outcome", a.outcome().json()).register(registry).increment();
      dispatcher.dispatch(new Notification(i.id() + ":" + a.at().toEpochMilli(), Notification.Kind.INCIDENT_ACTION,
          Notification.Event.valueOf(a.outcome().name()), i.severity(), i.target(), i.kind().json(), a.action() + " pid " + a.pid() + " (" + a.role() + "): " + a.detail(),
          null, null, i.detectedAt(), null));
    }
  }

  /** Runs a maintenance task now (the API's POST maintenance/{task}). */
  public MaintenanceRunner.Run runMaintenance(MaintenanceTask task, TargetRuntime rt, boolean dryRun)
      throws StoreUnavailableException {
    Instant now = clock.instant();
    if (task.background()) {
      boolean queued = backgroundRuns.submit(task, rt.name(), () -> {
        try {
          maintenance.run(task, rt, now, false);
        } catch (StoreUnavailableException e) {
          LOG.warn("{} on {} not run: {}", task.key(), rt.name(), e.getMessage());
        }
      });
      return queued
          ? new MaintenanceRunner.Run(0, task.key(), rt.name(), MaintenanceRunner.Status.STARTED,
              Map.of("note", "runs in the background; its outcome is recorded in GET /api/maintenance"))
          : new MaintenanceRunner.Run(0, task.key(), rt.name(), MaintenanceRunner.Status.SKIPPED,
              Map.of("reason", "a " + task.key() + " of this target is already waiting or running"));
    }
    return maintenance.run(task, rt, now, dryRun);
  }

  public Map<String, TargetRuntime> targets() {
    return targets;
  }

  public MonitorConfig config() {
    return config;
  }

  public Clock clock() {
    return clock;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public HistoryStore store() {
    return store;
  }

  public AlertEngine alerts() {
    return alerts;
  }

  public IncidentResponder incidents() {
    return incidents;
  }

  public ClientReports clients() {
    return clients;
  }

  @Override
  public void close() {
    collect.shutdownNow();
    work.shutdownNow();
    background.shutdownNow();
    try {
      collect.awaitTermination(5, TimeUnit.SECONDS);
      work.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    dispatcher.close();
    targets.values().forEach(TargetRuntime::close);
    customSessions.values().forEach(TargetCollector::close);
    store.close();
    registry.close();
  }

}
