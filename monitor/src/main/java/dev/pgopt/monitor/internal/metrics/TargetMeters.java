package dev.pgopt.monitor.internal.metrics;

import dev.pgopt.analyze.workload.StatementDelta;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.monitor.internal.collect.ActivitySnapshot;
import dev.pgopt.monitor.internal.collect.Derivations;
import dev.pgopt.monitor.internal.collect.Series;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.regex.Pattern;

/**
 * The Prometheus view of one target, read from its latest snapshots at scrape time. Cumulative PostgreSQL counters are
 * exported as counters ({@code _total}), so rates and ratios are computed by PromQL over any window; instantaneous
 * values are gauges in base units. Labels are the target name and small fixed sets; per-statement series are opt-in,
 * capped, and labelled by query id only, never by query text.
 */
public final class TargetMeters {
  private static final Pattern VECTOR_DISTANCE = Pattern.compile("<->|<=>|<#>|<\\+>");

  /** Read access to the target's latest state. */
  public interface Source {
    ActivitySnapshot activity();

    StatementSnapshot statements();

    Map<Series, Double> values();

    long slowQueriesSeen();
  }

  private final MultiGauge perStatement;
  private final int perStatementSeries;
  private final String target;
  // Micrometer holds meter state weakly: this strong reference keeps the source alive as long as the meters
  private final Source source;

  /** @param backups whether the target has a backup repository: its backup and drill gauges exist only then */
  /** @param pooler whether the target has a PgBouncer whose admin console is read ({@code pgopt_pgbouncer_*}) */
  /** @param cost whether the target has prices ({@code pgopt_cost_*}) */
  public TargetMeters(MeterRegistry registry, String target, Source source, int perStatementSeries, boolean backups,
                      boolean pooler, boolean cost) {
    this.target = target;
    this.source = source;
    this.perStatementSeries = perStatementSeries;
    Tags t = Tags.of("target", target);
    gauge(registry, "pgopt.target.up", null, t, "1 when the last collection of the target succeeded", source, s -> value(s, Series.UP));
    for (String state : List.of("active", "idle", "idle_in_transaction", "other")) {
      gauge(registry, "pgopt.connections", null, t.and("state", state), "client backends on the server by state", source,
          s -> connections(s.activity(), state));
    }
    gauge(registry, "pgopt.connections.max", null, t, "max_connections minus superuser_reserved_connections", source,
        s -> s.activity() == null ? Double.NaN : s.activity().maxConnections() - s.activity().reservedConnections());
    gauge(registry, "pgopt.connections.usage", "ratio", t, "client backends / usable connections", source,
        s -> value(s, Series.CONNECTION_USAGE_PERCENT) / 100.0);
    gauge(registry, "pgopt.sessions.blocked", null, t, "sessions waiting on a lock held by another session", source,
        s -> value(s, Series.BLOCKED_SESSIONS));
    gauge(registry, "pgopt.longest.query", "seconds", t, "age of the oldest running statement", source,
        s -> value(s, Series.LONGEST_QUERY_SECONDS));
    gauge(registry, "pgopt.longest.transaction", "seconds", t, "age of the oldest open transaction", source,
        s -> value(s, Series.LONGEST_TRANSACTION_SECONDS));
    gauge(registry, "pgopt.replication.lag", "seconds", t, "worst standby replay lag", source,
        s -> value(s, Series.REPLICATION_LAG_SECONDS));
    gauge(registry, "pgopt.replication.lag.wal", "bytes", t, "worst standby replay lag in WAL", source,
        s -> value(s, Series.REPLICATION_LAG_BYTES));
    gauge(registry, "pgopt.database.xid.age", null, t, "oldest age(datfrozenxid): transaction IDs toward wraparound (2^31)", source,
        s -> value(s, Series.XID_AGE));
    gauge(registry, "pgopt.database.size", "bytes", t, "pg_database_size of the target database", source,
        s -> value(s, Series.DATABASE_BYTES));
    if (backups) {
      gauge(registry, "pgopt.backup.age", "seconds", t, "age of the newest backup's snapshot (1e9: no backup)", source,
          s -> value(s, Series.BACKUP_AGE_SECONDS));
      gauge(registry, "pgopt.backup.size", "bytes", t, "size of the newest backup", source, s -> value(s, Series.BACKUP_BYTES));
      gauge(registry, "pgopt.drill.passed", null, t, "1 when the newest restore drill passed, else 0", source,
          s -> value(s, Series.DRILL_PASSED));
      gauge(registry, "pgopt.drill.rto", "seconds", t, "RTO measured by the newest passed restore drill", source,
          s -> value(s, Series.DRILL_RTO_SECONDS));
      gauge(registry, "pgopt.drill.last.success.timestamp", "seconds", t, "Unix time the newest passed restore drill started",
          source, s -> value(s, Series.DRILL_LAST_SUCCESS_TIMESTAMP));
    }

    if (pooler) {
      gauge(registry, "pgopt.pgbouncer.up", null, t, "1 when the PgBouncer admin console answered, else 0", source,
          s -> value(s, Series.PGBOUNCER_UP));
      gauge(registry, "pgopt.pgbouncer.clients.active", null, t, "PgBouncer clients linked or idle, all pools", source,
          s -> value(s, Series.PGBOUNCER_CLIENTS_ACTIVE));
      gauge(registry, "pgopt.pgbouncer.clients.waiting", null, t, "PgBouncer clients waiting for a server connection", source,
          s -> value(s, Series.PGBOUNCER_CLIENTS_WAITING));
      gauge(registry, "pgopt.pgbouncer.maxwait", "seconds", t, "how long the oldest waiting PgBouncer client has waited",
          source, s -> value(s, Series.PGBOUNCER_MAXWAIT_SECONDS));
      gauge(registry, "pgopt.pgbouncer.saturation", "ratio", t, "busy server connections / pool size, fullest pool", source,
          s -> value(s, Series.PGBOUNCER_SATURATION_PERCENT) / 100.0);
      gauge(registry, "pgopt.pgbouncer.server.connections", null, t, "server connections PgBouncer's pools hold open",
          source, s -> value(s, Series.PGBOUNCER_SERVER_CONNECTIONS));
    }

    if (cost) {
      gauge(registry, "pgopt.cost.monthly", null, t, "monthly cost at the target's prices: storage and instance", source,
          s -> value(s, Series.COST_MONTHLY));
      gauge(registry, "pgopt.cost.forecast.monthly", null, t, "the monthly cost the storage trend reaches at the month's end",
          source, s -> value(s, Series.COST_FORECAST_MONTHLY));
    }

    counter(registry, "pgopt.transactions", t.and("outcome", "commit"), "transactions committed (pg_stat_database)", source,
        s -> s.activity() == null ? Double.NaN : s.activity().counters().commits());
    counter(registry, "pgopt.transactions", t.and("outcome", "rollback"), "transactions rolled back (pg_stat_database)", source,
        s -> s.activity() == null ? Double.NaN : s.activity().counters().rollbacks());
    counter(registry, "pgopt.blocks", t.and("source", "hit"), "block requests served from shared buffers", source,
        s -> s.activity() == null ? Double.NaN : s.activity().counters().blocksHit());
    counter(registry, "pgopt.blocks", t.and("source", "read"), "block requests read from the OS or disk", source,
        s -> s.activity() == null ? Double.NaN : s.activity().counters().blocksRead());
    counter(registry, "pgopt.deadlocks", t, "deadlocks detected", source,
        s -> s.activity() == null ? Double.NaN : s.activity().counters().deadlocks());
    counter(registry, "pgopt.temp", t, "bytes written to temporary files", source,
        s -> s.activity() == null ? Double.NaN : s.activity().counters().tempBytes(), "bytes");
    counter(registry, "pgopt.slow.queries", t, "statements seen running longer than collect.slow_query", source,
        s -> s.slowQueriesSeen());
    counter(registry, "pgopt.statements.calls", t.and("kind", "all"), "statement executions (pg_stat_statements; pgopt's own and transaction control excluded)", source,
        s -> statements(s.statements(), false, true));
    counter(registry, "pgopt.statements.calls", t.and("kind", "vector"), "statement executions", source,
        s -> statements(s.statements(), true, true));
    counter(registry, "pgopt.statements.execution", t.and("kind", "all"), "statement execution time (pg_stat_statements)", source,
        s -> statements(s.statements(), false, false) / 1000.0, "seconds");
    counter(registry, "pgopt.statements.execution", t.and("kind", "vector"), "execution time of statements ordering by a pgvector distance", source,
        s -> statements(s.statements(), true, false) / 1000.0, "seconds");
    this.perStatement = perStatementSeries > 0 ? MultiGauge.builder("pgopt.statement.mean.time").baseUnit("seconds")
        .description("mean execution time per top statement over the last statements interval (opt-in, capped)")
        .register(registry) : null;
  }

  /** Replaces the per-statement series with the top ones of the latest window (no-op unless opted in). */
  public void statements(List<StatementDelta> window) {
    if (perStatement == null) {
      return;
    }
    perStatement.register(Derivations.workload(window).stream().filter(d -> d.counters().calls() > 0)
        .sorted(Comparator.comparingDouble((StatementDelta d) -> d.counters().totalExecMs()).reversed())
        .limit(perStatementSeries)
        .map(d -> MultiGauge.Row.of(Tags.of("target", target, "queryid", Long.toString(d.entry().queryId())),
            d.counters().meanExecMs() / 1000.0))
        .toList(), true);
  }

  private static double statements(StatementSnapshot s, boolean vectorOnly, boolean calls) {
    if (s == null) {
      return Double.NaN;
    }
    double sum = 0;
    for (StatementEntry e : s.entries()) {
      if (!Derivations.isWorkload(e.query()) || (vectorOnly && !VECTOR_DISTANCE.matcher(e.query()).find())) {
        continue;
      }
      sum += calls ? e.counters().calls() : e.counters().totalExecMs();
    }
    return sum;
  }

  private static double connections(ActivitySnapshot a, String state) {
    if (a == null) {
      return Double.NaN;
    }
    return a.sessions().stream().filter(ActivitySnapshot.SessionRow::clientBackend).filter(s -> {
      String st = s.state() == null ? "" : s.state();
      return switch (state) {
        case "active" -> st.equals("active");
        case "idle" -> st.equals("idle");
        case "idle_in_transaction" -> st.startsWith("idle in transaction");
        default -> !st.equals("active") && !st.equals("idle") && !st.startsWith("idle in transaction");
      };
    }).count();
  }

  private static double value(Source s, Series series) {
    Double v = s.values().get(series);
    return v == null ? Double.NaN : v;
  }

  private static void gauge(MeterRegistry r, String name, String unit, Tags tags, String help, Source source,
                            ToDoubleFunction<Source> f) {
    Gauge.builder(name, source, f).baseUnit(unit).tags(tags).description(help).register(r);
  }

  private static void counter(MeterRegistry r, String name, Tags tags, String help, Source source, ToDoubleFunction<Source> f) {
    counter(r, name, tags, help, source, f, null);
  }

  private static void counter(MeterRegistry r, String name, Tags tags, String help, Source source, ToDoubleFunction<Source> f,
                              String unit) {
    FunctionCounter.builder(name, source, f).baseUnit(unit).tags(tags).description(help).register(r);
  }

}
