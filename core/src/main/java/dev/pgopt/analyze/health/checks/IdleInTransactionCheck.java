package dev.pgopt.analyze.health.checks;

import static dev.pgopt.analyze.health.ThresholdDefinition.Kind.SECONDS;

import dev.pgopt.analyze.health.CheckContext;
import dev.pgopt.analyze.health.CheckResult;
import dev.pgopt.analyze.health.HealthCheck;
import dev.pgopt.analyze.health.Status;
import dev.pgopt.analyze.health.Threshold;
import dev.pgopt.analyze.health.ThresholdDefinition;
import dev.pgopt.analyze.health.Thresholds;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Sessions that opened a transaction and went quiet: they hold locks and stop vacuum from cleaning up. */
public final class IdleInTransactionCheck implements HealthCheck {
  public static final String NAME = "idle_in_transaction";

  public record Session(int pid, String user, String application, String state, double idleSeconds,
                        double transactionSeconds, String query) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ThresholdDefinition> thresholds() {
    return List.of(
        new ThresholdDefinition("idle_in_transaction.warning", SECONDS, "60s",
            "a web request never needs a transaction idle for a minute; it already holds locks and the xmin horizon"),
        new ThresholdDefinition("idle_in_transaction.critical", SECONDS, "10min",
            "after ten minutes dead rows pile up in every table, and DDL behind its locks queues all other traffic"));
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    List<Session> sessions = Sql.list(ctx.connection(), """
        SELECT pid, usename, application_name, state,
               extract(epoch FROM now() - state_change)::float8 AS idle_s,
               extract(epoch FROM now() - xact_start)::float8 AS xact_s, query
          FROM pg_stat_activity
         WHERE state IN ('idle in transaction', 'idle in transaction (aborted)') AND pid <> ?
         ORDER BY state_change""",
        rs -> new Session(rs.getInt("pid"), rs.getString("usename"), rs.getString("application_name"),
            rs.getString("state"), rs.getDouble("idle_s"), rs.getDouble("xact_s"), Units.truncate(rs.getString("query"), 120)),
        ctx.ownPid());
    return evaluate(sessions, ctx.thresholds());
  }

  public static CheckResult evaluate(List<Session> sessions, Thresholds t) {
    Threshold threshold = Threshold.above(t.orNull("idle_in_transaction.warning"), t.orNull("idle_in_transaction.critical"), "seconds");
    double oldest = sessions.stream().mapToDouble(Session::idleSeconds).max().orElse(0);
    Status status = sessions.isEmpty() ? Status.OK : threshold.statusOf(oldest);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("count", sessions.size());
    details.put("sessions", sessions.stream().limit(20).map(s -> Map.of(
        "pid", s.pid(), "user", String.valueOf(s.user()), "application", String.valueOf(s.application()),
        "state", s.state(), "idle_seconds", Math.round(s.idleSeconds()), "transaction_seconds", Math.round(s.transactionSeconds()),
        "last_query", String.valueOf(s.query()))).toList());
    String message = sessions.isEmpty() ? "no session is idle in a transaction"
        : sessions.size() + " idle in transaction; oldest pid " + sessions.get(0).pid() + " idle for "
            + Units.seconds(oldest) + " (" + sessions.get(0).user() + ")";
    String fix = status == Status.OK ? null
        : "end it with SELECT pg_terminate_backend(" + sessions.get(0).pid() + "), fix the code path that leaves "
            + "transactions open, and set idle_in_transaction_session_timeout";
    return new CheckResult(NAME, status, Math.round(oldest), sessions.isEmpty() ? "0" : sessions.size() + ", oldest " + Units.seconds(oldest),
        threshold, message, fix, details);
  }
}
