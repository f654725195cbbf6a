package dev.pgopt.monitor.internal.collect;

import dev.pgopt.analyze.workload.StatementDelta;
import dev.pgopt.analyze.workload.WorkloadWindow;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns snapshots into the values of {@link Series}. Rates need two snapshots of the same statistics epoch: after a
 * {@code pg_stat_reset()} (stats_reset moved, or a counter went down) the interval is skipped rather than reported as
 * a negative or huge rate. pgopt's own sessions and statements are left out.
 */
public final class Derivations {
  private static final Pattern VECTOR_DISTANCE = Pattern.compile("<->|<=>|<#>|<\\+>");

  private Derivations() {}

  /**
   * Values from one activity snapshot, with rates against {@code previous} when it is of the same epoch.
   * {@code newSlowQueries} is what {@link SlowQueryTracker#observe} counted for this snapshot.
   */
  public static Map<Series, Double> activity(ActivitySnapshot previous, ActivitySnapshot now, int newSlowQueries) {
    Map<Series, Double> v = new EnumMap<>(Series.class);
    v.put(Series.UP, 1.0);
    int clients = 0;
    int active = 0;
    int idleInTx = 0;
    int waiting = 0;
    int blocked = 0;
    double longestQuery = 0;
    double longestTx = 0;
    for (ActivitySnapshot.SessionRow s : now.sessions()) {
      if (!s.clientBackend()) {
        continue;
      }
      clients++;
      if (s.own()) {
        continue;
      }
      if ("active".equals(s.state())) {
        active++;
        if (s.queryStart() != null) {
          longestQuery = Math.max(longestQuery, seconds(s.queryStart(), now.takenAt()));
        }
      }
      if (s.state() != null && s.state().startsWith("idle in transaction")) {
        idleInTx++;
      }
      if ("Lock".equals(s.waitEventType())) {
        waiting++;
      }
      if (!s.blockedBy().isEmpty()) {
        blocked++;
      }
      if (s.transactionStart() != null) {
        longestTx = Math.max(longestTx, seconds(s.transactionStart(), now.takenAt()));
      }
    }
    v.put(Series.CONNECTIONS, (double) clients);
    v.put(Series.CONNECTIONS_ACTIVE, (double) active);
    v.put(Series.CONNECTIONS_IDLE_IN_TRANSACTION, (double) idleInTx);
    v.put(Series.CONNECTIONS_WAITING, (double) waiting);
    v.put(Series.BLOCKED_SESSIONS, (double) blocked);
    v.put(Series.LONGEST_QUERY_SECONDS, longestQuery);
    v.put(Series.LONGEST_TRANSACTION_SECONDS, longestTx);
    int usable = Math.max(1, now.maxConnections() - now.reservedConnections());
    v.put(Series.CONNECTION_USAGE_PERCENT, 100.0 * clients / usable);
    v.put(Series.XID_AGE, (double) now.xidAge());

    double lagSeconds = 0;
    double lagBytes = 0;
    for (ActivitySnapshot.ReplicaRow r : now.replicas()) {
      lagSeconds = Math.max(lagSeconds, r.replayLagSeconds() == null ? 0 : r.replayLagSeconds());
      lagBytes = Math.max(lagBytes, r.replayLagBytes() == null ? 0 : r.replayLagBytes());
    }
    if (now.standbyLagSeconds() != null) {
      lagSeconds = Math.max(lagSeconds, now.standbyLagSeconds());
    }
    if (!now.replicas().isEmpty() || now.inRecovery()) {
      v.put(Series.REPLICATION_LAG_SECONDS, lagSeconds);
      v.put(Series.REPLICATION_LAG_BYTES, lagBytes);
    }

    if (previous != null && sameEpoch(previous.counters(), now.counters())) {
      double secs = seconds(previous.takenAt(), now.takenAt());
      if (secs > 0) {
        ActivitySnapshot.DatabaseCounters a = previous.counters();
        ActivitySnapshot.DatabaseCounters b = now.counters();
        long commits = b.commits() - a.commits();
        long rollbacks = b.rollbacks() - a.rollbacks();
        v.put(Series.TRANSACTIONS_PER_SECOND, (commits + rollbacks) / secs);
        if (commits + rollbacks > 0) {
          v.put(Series.ROLLBACK_PERCENT, 100.0 * rollbacks / (commits + rollbacks));
        }
        long hits = b.blocksHit() - a.blocksHit();
        long reads = b.blocksRead() - a.blocksRead();
        if (hits + reads > 0) {
          v.put(Series.CACHE_HIT_PERCENT, 100.0 * hits / (hits + reads));
        }
        v.put(Series.DEADLOCKS_PER_MINUTE, (b.deadlocks() - a.deadlocks()) * 60.0 / secs);
        v.put(Series.SLOW_QUERIES_PER_MINUTE, newSlowQueries * 60.0 / secs);
      }
    }
    return v;
  }

  /** Values from a statements window (pgopt's own statements excluded) and the database size. */
  public static Map<Series, Double> statements(WorkloadWindow window, long databaseBytes) {
    Map<Series, Double> v = new EnumMap<>(Series.class);
    v.put(Series.DATABASE_BYTES, (double) databaseBytes);
    if (window == null) {
      return v;
    }
    long calls = 0;
    double ms = 0;
    long vectorCalls = 0;
    double vectorMs = 0;
    for (StatementDelta d : workload(window.deltas())) {
      calls += d.counters().calls();
      ms += d.counters().totalExecMs();
      if (VECTOR_DISTANCE.matcher(d.entry().query()).find()) {
        vectorCalls += d.counters().calls();
        vectorMs += d.counters().totalExecMs();
      }
    }
    double secs = window.length().toMillis() / 1000.0;
    if (secs > 0) {
      v.put(Series.CALLS_PER_SECOND, calls / secs);
    }
    if (calls > 0) {
      v.put(Series.AVG_QUERY_MS, ms / calls);
    }
    if (vectorCalls > 0) {
      v.put(Series.VECTOR_SEARCH_MS, vectorMs / vectorCalls);
    }
    return v;
  }

  private static final Pattern TRANSACTION_CONTROL = Pattern.compile(
      "(?is)\\s*(BEGIN|START\\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|SET|SHOW|RESET|DEALLOCATE|DISCARD)\\b.*");

  /**
   * The statements that make up the workload: without pgopt's own (marked) statements and without transaction control
   * and session settings (BEGIN, COMMIT, SAVEPOINT, SET, ...), which drivers send around every transaction and which
   * would otherwise dilute the average query time and crowd the top lists.
   */
  public static List<StatementDelta> workload(List<StatementDelta> deltas) {
    return deltas.stream().filter(d -> isWorkload(d.entry().query())).toList();
  }

  public static boolean isWorkload(String query) {
    return query != null && !isOwn(query) && !TRANSACTION_CONTROL.matcher(query).matches();
  }

  public static boolean isOwn(String query) {
    return dev.pgopt.connect.Sql.isOwn(query);
  }

  static boolean sameEpoch(ActivitySnapshot.DatabaseCounters a, ActivitySnapshot.DatabaseCounters b) {
    return Objects.equals(a.statsReset(), b.statsReset()) && b.commits() >= a.commits() && b.rollbacks() >= a.rollbacks()
        && b.blocksHit() >= a.blocksHit() && b.blocksRead() >= a.blocksRead();
  }

  static double seconds(Instant from, Instant to) {
    return Math.max(0, Duration.between(from, to).toMillis() / 1000.0);
  }

  /**
   * Counts statements seen running longer than the slow-query threshold, each once (by backend and start time),
   * however many samples see it.
   */
  public static final class SlowQueryTracker {
    private Set<String> seen = new HashSet<>();

    /** How many statements crossed the threshold since the previous call. */
    public synchronized int observe(ActivitySnapshot now, Duration threshold) {
      Set<String> current = new HashSet<>();
      int fresh = 0;
      for (ActivitySnapshot.SessionRow s : now.sessions()) {
        if (!s.clientBackend() || s.own() || !"active".equals(s.state()) || s.queryStart() == null) {
          continue;
        }
        if (Duration.between(s.queryStart(), now.takenAt()).compareTo(threshold) >= 0) {
          String key = s.pid() + "@" + s.queryStart();
          current.add(key);
          if (!seen.contains(key)) {
            fresh++;
          }
        }
      }
      seen = current;
      return fresh;
    }
  }
}
