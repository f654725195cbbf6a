package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.Rule;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code connection.*}: {@code connection.idle_in_transaction} (roles whose sessions sit idle in a transaction),
 * {@code connection.usage} (slots nearly used up) and {@code connection.pooler} (many idle connections: a pooler in
 * transaction mode, sized, with its caveats).
 */
public final class ConnectionRules implements Rule {
  private final java.time.Duration idleInTransaction;
  private final double usagePercent;
  static final long POOLER_MIN_IDLE = 20;

  /**
   * @param idleInTransaction how long a session must sit idle in a transaction to count (pgopt uses 60 s)
   * @param usagePercent share of usable slots in use that is worth a finding (pgopt uses 70, as the health check)
   */
  public ConnectionRules(java.time.Duration idleInTransaction, double usagePercent) {
    this.idleInTransaction = idleInTransaction;
    this.usagePercent = usagePercent;
  }

  @Override
  public String id() {
    return "connection";
  }

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    List<Finding> out = new ArrayList<>();
    record Idle(String user, long sessions, double oldest, String timeout) {}
    for (Idle i : Sql.list(ctx.connection(), """
        SELECT a.usename, count(*), max(extract(epoch FROM now() - a.state_change))::float8,
               coalesce((SELECT s.setting FROM pg_db_role_setting d, unnest(d.setconfig) s(setting)
                          WHERE d.setrole = a.usesysid AND s.setting LIKE 'idle_in_transaction_session_timeout=%' LIMIT 1), '')
          FROM pg_stat_activity a
         WHERE a.state LIKE 'idle in transaction%' AND now() - a.state_change > make_interval(secs => ?) AND a.usename IS NOT NULL
         GROUP BY a.usename, a.usesysid""",
        rs -> new Idle(rs.getString(1), rs.getLong(2), rs.getDouble(3), rs.getString(4)), idleInTransaction.toMillis() / 1000.0)) {
      if (!i.timeout().isEmpty()) {
        continue;
      }
      String role = Quoting.ident(i.user());
      out.add(new Finding("connection.idle_in_transaction:" + i.user(), "connection.idle_in_transaction", Severity.WARNING,
          new DbObject(null, null, null, null), i.sessions() + " sessions of role " + i.user() + " are idle in a transaction, the oldest for "
              + Units.seconds(i.oldest()) + ": they hold locks and stop vacuum; end forgotten transactions automatically",
          Map.of("role", i.user(), "sessions", i.sessions(), "oldest_idle_seconds", Math.round(i.oldest())), Map.of(),
          Confidence.MEASURED,
          new Action("ALTER ROLE " + role + " SET idle_in_transaction_session_timeout = '5min';",
              "ALTER ROLE " + role + " RESET idle_in_transaction_session_timeout;", true, "none (new sessions only)", "low")));
    }
    long[] usage = Sql.one(ctx.connection(), """
        SELECT count(*) FILTER (WHERE backend_type = 'client backend'),
               count(*) FILTER (WHERE backend_type = 'client backend' AND state = 'idle'),
               current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
          FROM pg_stat_activity""",
        rs -> new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)});
    double pct = 100.0 * usage[0] / Math.max(1, usage[2]);
    if (pct >= usagePercent) {
      out.add(new Finding("connection.usage", "connection.usage", pct >= 90 ? Severity.CRITICAL : Severity.WARNING,
          new DbObject(null, null, null, null), usage[0] + " of " + usage[2] + " connection slots in use ("
              + Units.percent(pct) + "): new clients will be refused soon",
          Map.of("connections", usage[0], "idle", usage[1], "usable_slots", usage[2]), Map.of(), Confidence.MEASURED, null));
    }
    if (usage[1] >= POOLER_MIN_IDLE && usage[1] * 2 >= usage[0]) {
      Map<String, Object> evidence = new LinkedHashMap<>();
      evidence.put("connections", usage[0]);
      evidence.put("idle", usage[1]);
      evidence.put("suggested_pool_size", "about 2 × the server's CPU cores (plus its disks), e.g. 10–20 for 4–8 cores");
      evidence.put("transaction_mode_caveats", List.of("session SET and temporary tables do not carry over between transactions",
          "protocol-level prepared statements need PgBouncer ≥ 1.21 (max_prepared_statements) or prepareThreshold=0 in pgjdbc",
          "session advisory locks and LISTEN/NOTIFY need a session-mode pool",
          "pgjdbc sends extra_float_digits at startup: set ignore_startup_parameters = extra_float_digits"));
      out.add(new Finding("connection.pooler", "connection.pooler", Severity.INFO, new DbObject(null, null, null, null),
          usage[1] + " of " + usage[0] + " connections are idle: each holds a backend's memory; a pooler in transaction mode "
              + "(PgBouncer, Supavisor, RDS Proxy) serves the same clients with a few server connections",
          evidence, Map.of("server_connections_saved", usage[1]), Confidence.MEASURED, null));
    }
    return out;
  }
}
