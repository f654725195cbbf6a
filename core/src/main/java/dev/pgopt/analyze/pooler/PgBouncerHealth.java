package dev.pgopt.analyze.pooler;

import static dev.pgopt.analyze.health.ThresholdDefinition.Kind.COUNT;
import static dev.pgopt.analyze.health.ThresholdDefinition.Kind.PERCENT;
import static dev.pgopt.analyze.health.ThresholdDefinition.Kind.SECONDS;

import dev.pgopt.analyze.health.CheckResult;
import dev.pgopt.analyze.health.HealthReport;
import dev.pgopt.analyze.health.Status;
import dev.pgopt.analyze.health.Threshold;
import dev.pgopt.analyze.health.ThresholdDefinition;
import dev.pgopt.analyze.health.Thresholds;
import dev.pgopt.collect.pooler.PoolerSnapshot;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code pgopt pooler check}: a PgBouncer's pools judged as a health report (same statuses, thresholds and exit codes
 * as {@code pgopt check}). Without the server behind it ({@code server} empty), the checks that compare with the
 * server's settings are {@code unknown}.
 */
public final class PgBouncerHealth {
  /** PgBouncer's own admin database: its pool is the console, not an application's. */
  static final String ADMIN_DATABASE = "pgbouncer";

  private PgBouncerHealth() {}

  public static List<ThresholdDefinition> thresholds() {
    return List.of(
        new ThresholdDefinition("pooler_clients_waiting.warning", COUNT, "1",
            "a client waiting for a server connection is latency the application sees and the server never does"),
        new ThresholdDefinition("pooler_clients_waiting.critical", COUNT, null, "off: how long they wait (pooler_maxwait) says more"),
        new ThresholdDefinition("pooler_maxwait.warning", SECONDS, "1s",
            "a second in the queue is already a slow request; it grows until the pool is larger or queries shorter"),
        new ThresholdDefinition("pooler_maxwait.critical", SECONDS, "5s",
            "at a few seconds requests time out in the application long before query_wait_timeout (120 s) fails them"),
        new ThresholdDefinition("pooler_saturation.warning", PERCENT, "90",
            "every server connection of a pool busy: the next burst queues"),
        new ThresholdDefinition("pooler_saturation.critical", PERCENT, null, "off: waiting clients say when it hurts"),
        new ThresholdDefinition("pooler_server_connections.warning", PERCENT, "90",
            "the pools may open nearly every slot the server has; other clients and maintenance need some"),
        new ThresholdDefinition("pooler_server_connections.critical", PERCENT, "100",
            "the pools may open more connections than the server allows: 'too many clients' under load"),
        new ThresholdDefinition("pooler_timeouts.warning", COUNT, "1",
            "a pooler timeout that fires after the server's closes connections the pooler still hands out"));
  }

  public static HealthReport evaluate(PoolerSnapshot s, Optional<ServerLimits> server, Thresholds t, String target) {
    List<PoolerSnapshot.Pool> pools = s.pools().stream().filter(p -> !p.database().equals(ADMIN_DATABASE)).toList();
    List<CheckResult> checks = new ArrayList<>();
    checks.add(waiting(pools, t));
    checks.add(maxWait(pools, t));
    checks.add(saturation(s, pools, t));
    checks.add(serverConnections(s, pools, server, t));
    checks.add(timeouts(s, server, t));
    checks.add(databases(s));
    Map<String, Object> about = new LinkedHashMap<>();
    about.put("pooler", s.version());
    about.put("pool_mode", s.setting("pool_mode").orElse("?"));
    server.ifPresent(l -> about.put("server_max_connections", l.maxConnections()));
    List<String> notes = new ArrayList<>();
    if (pools.isEmpty()) {
      notes.add("no pool is open yet: pools appear when the first client of a database and user connects");
    }
    return new HealthReport(s.at().toString(), target, about, checks, notes);
  }

  private static CheckResult waiting(List<PoolerSnapshot.Pool> pools, Thresholds t) {
    long waiting = pools.stream().mapToLong(PoolerSnapshot.Pool::clientsWaiting).sum();
    Threshold th = Threshold.above(t.orNull("pooler_clients_waiting.warning"), t.orNull("pooler_clients_waiting.critical"), "count");
    Status status = th.statusOf(waiting);
    List<String> worst = pools.stream().filter(p -> p.clientsWaiting() > 0)
        .sorted(Comparator.comparingLong(PoolerSnapshot.Pool::clientsWaiting).reversed()).limit(3)
        .map(p -> p.database() + "/" + p.user() + " " + p.clientsWaiting() + " waiting beside " + p.serversActive() + " busy")
        .toList();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("pools", pools.stream().map(PgBouncerHealth::pool).toList());
    return new CheckResult("pooler_clients_waiting", status, waiting, Long.toString(waiting), th,
        waiting == 0 ? "no client waits for a server connection" : String.join("; ", worst),
        status == Status.OK ? null : "raise the pool's size (default_pool_size or pool_size in [databases]) within the"
            + " server's max_connections, or shorten the transactions that hold connections (pgopt queries)", details);
  }

  private static CheckResult maxWait(List<PoolerSnapshot.Pool> pools, Thresholds t) {
    PoolerSnapshot.Pool worst = pools.stream().max(Comparator.comparingLong(PoolerSnapshot.Pool::maxWaitMicros)).orElse(null);
    double seconds = worst == null ? 0 : worst.maxWaitMicros() / 1e6;
    Threshold th = Threshold.above(t.orNull("pooler_maxwait.warning"), t.orNull("pooler_maxwait.critical"), "seconds");
    Status status = th.statusOf(seconds);
    return new CheckResult("pooler_maxwait", status, seconds, String.format(Locale.ROOT, "%.2f s", seconds), th,
        worst == null || worst.maxWaitMicros() == 0 ? "no client is waiting now"
            : "the oldest waiting client of " + worst.database() + "/" + worst.user() + " has waited "
                + String.format(Locale.ROOT, "%.2f s", seconds),
        status == Status.OK ? null : "the pool is too small for the load or its transactions too long: compare"
            + " sv_active with the pool size (SHOW POOLS) and the server's active queries (pgopt check)", Map.of());
  }

  private static CheckResult saturation(PoolerSnapshot s, List<PoolerSnapshot.Pool> pools, Thresholds t) {
    double worstPct = 0;
    String worstName = null;
    int worstSize = 0;
    long worstActive = 0;
    for (PoolerSnapshot.Pool p : pools) {
      int size = s.poolSize(p.database());
      if (size <= 0) {
        continue;
      }
      double pct = 100.0 * p.serversActive() / size;
      if (pct > worstPct || worstName == null) {
        worstPct = pct;
        worstName = p.database() + "/" + p.user();
        worstSize = size;
        worstActive = p.serversActive();
      }
    }
    Threshold th = Threshold.above(t.orNull("pooler_saturation.warning"), t.orNull("pooler_saturation.critical"), "percent");
    if (worstName == null) {
      return new CheckResult("pooler_saturation", Status.OK, 0.0, "0 %", th, "no pool has server connections in use", null, Map.of());
    }
    Status status = th.statusOf(worstPct);
    return new CheckResult("pooler_saturation", status, Math.round(worstPct * 10) / 10.0,
        String.format(Locale.ROOT, "%d/%d (%.0f %%)", worstActive, worstSize, worstPct), th,
        worstName + ": " + worstActive + " of its " + worstSize + " server connections busy",
        status == Status.OK ? null : "the pool is at its size: a larger pool (if the server has the slots and the cores)"
            + " or shorter transactions", Map.of("pool", worstName, "pool_size", worstSize, "active", worstActive));
  }

  private static CheckResult serverConnections(PoolerSnapshot s, List<PoolerSnapshot.Pool> pools, Optional<ServerLimits> server,
                                               Thresholds t) {
    Threshold th = Threshold.above(t.orNull("pooler_server_connections.warning"), t.orNull("pooler_server_connections.critical"),
        "percent");
    if (server.isEmpty()) {
      return new CheckResult("pooler_server_connections", Status.UNKNOWN, null, "?", th,
          "the server behind the pooler is not known", "give --url of the server to compare with its max_connections", Map.of());
    }
    ServerLimits l = server.get();
    long possible = 0;
    long open = 0;
    for (PoolerSnapshot.Pool p : pools) {
      PoolerSnapshot.PoolDatabase d = s.database(p.database()).orElse(null);
      int size = s.poolSize(p.database());
      int reserve = d != null ? d.reservePool() : intSetting(s, "reserve_pool_size");
      long cap = size + reserve;
      if (d != null && d.maxConnections() > 0) {
        cap = Math.min(cap, d.maxConnections());
      }
      possible += cap;
      open += p.servers();
    }
    int maxDb = intSetting(s, "max_db_connections");
    if (maxDb > 0) {
      possible = Math.min(possible, (long) maxDb * Math.max(1, pools.stream().map(PoolerSnapshot.Pool::database).distinct().count()));
    }
    double pct = 100.0 * possible / l.available();
    Status status = th.statusOf(pct);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("possible_server_connections", possible);
    details.put("open_server_connections", open);
    details.put("server_available_slots", l.available());
    details.put("server_client_backends", l.clientBackends());
    return new CheckResult("pooler_server_connections", status, Math.round(pct * 10) / 10.0,
        String.format(Locale.ROOT, "%d/%d (%.0f %%)", possible, l.available(), pct), th,
        "the open pools may use " + possible + " server connections (pool and reserve sizes), " + open + " open now; the"
            + " server allows " + l.available() + " to ordinary roles, " + l.clientBackends() + " in use",
        status == Status.OK ? null : "keep the pools' sizes plus reserves below max_connections minus the reserved slots"
            + " (max_db_connections caps a database), or raise max_connections (a restart)", details);
  }

  private static CheckResult timeouts(PoolerSnapshot s, Optional<ServerLimits> server, Thresholds t) {
    Threshold th = Threshold.above(t.orNull("pooler_timeouts.warning"), null, "count");
    if (server.isEmpty()) {
      return new CheckResult("pooler_timeouts", Status.UNKNOWN, null, "?", th,
          "the server behind the pooler is not known", "give --url of the server to compare its timeouts", Map.of());
    }
    ServerLimits l = server.get();
    List<String> problems = new ArrayList<>();
    long serverIdle = seconds(s, "server_idle_timeout") * 1000;
    if (l.idleSessionTimeoutMs() > 0 && (serverIdle == 0 || serverIdle >= l.idleSessionTimeoutMs())) {
      problems.add("server_idle_timeout " + (serverIdle / 1000) + " s is not below the server's idle_session_timeout "
          + (l.idleSessionTimeoutMs() / 1000) + " s: the server closes idle connections the pooler still hands out");
    }
    long queryTimeout = seconds(s, "query_timeout") * 1000;
    if (queryTimeout > 0 && l.statementTimeoutMs() > 0 && queryTimeout <= l.statementTimeoutMs()) {
      problems.add("query_timeout " + (queryTimeout / 1000) + " s fires before the server's statement_timeout "
          + (l.statementTimeoutMs() / 1000) + " s: the pooler drops the server connection instead of the server cancelling"
          + " the statement");
    }
    long idleTx = seconds(s, "idle_transaction_timeout") * 1000;
    if (idleTx > 0 && l.idleInTransactionTimeoutMs() > 0 && idleTx > l.idleInTransactionTimeoutMs()) {
      problems.add("idle_transaction_timeout " + (idleTx / 1000) + " s is above the server's"
          + " idle_in_transaction_session_timeout " + (l.idleInTransactionTimeoutMs() / 1000) + " s: it never fires");
    }
    Status status = th.statusOf(problems.size());
    return new CheckResult("pooler_timeouts", status, problems.size(), Integer.toString(problems.size()), th,
        problems.isEmpty() ? "the pooler's timeouts agree with the server's" : String.join("; ", problems),
        status == Status.OK ? null : "set the pooler's timeouts below the server's (pgopt pooler config writes matching ones)",
        Map.of("problems", problems));
  }

  private static CheckResult databases(PoolerSnapshot s) {
    List<String> stopped = s.databases().stream().filter(d -> !d.name().equals(ADMIN_DATABASE) && (d.paused() || d.disabled()))
        .map(d -> d.name() + (d.paused() ? " paused" : " disabled")).toList();
    return new CheckResult("pooler_databases", stopped.isEmpty() ? Status.OK : Status.WARNING, stopped.size(),
        Integer.toString(stopped.size()), Threshold.above(1.0, null, "count"),
        stopped.isEmpty() ? "no database is paused or disabled" : String.join(", ", stopped),
        stopped.isEmpty() ? null : "RESUME or ENABLE them on the admin console once the maintenance is over", Map.of());
  }

  private static Map<String, Object> pool(PoolerSnapshot.Pool p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("database", p.database());
    m.put("user", p.user());
    m.put("clients_active", p.clientsActive());
    m.put("clients_waiting", p.clientsWaiting());
    m.put("servers_active", p.serversActive());
    m.put("servers_idle", p.serversIdle() + p.serversUsed());
    m.put("maxwait_seconds", p.maxWaitMicros() / 1e6);
    m.put("pool_mode", p.poolMode());
    return m;
  }

  private static int intSetting(PoolerSnapshot s, String name) {
    try {
      return Integer.parseInt(s.setting(name).orElse("0").strip());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** A duration setting in whole seconds; SHOW CONFIG prints durations as seconds, older versions with decimals. */
  private static long seconds(PoolerSnapshot s, String name) {
    String v = s.setting(name).orElse("0").strip();
    try {
      return (long) Double.parseDouble(v);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
