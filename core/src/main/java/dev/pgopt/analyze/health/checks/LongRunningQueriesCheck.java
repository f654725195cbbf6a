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

/** Statements of client sessions running longer than the warning threshold. */
public final class LongRunningQueriesCheck implements HealthCheck {
  public static final String NAME = "long_running_queries";

  public record Query(int pid, String user, String database, double seconds, String waitEvent, String query) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ThresholdDefinition> thresholds() {
    return List.of(
        new ThresholdDefinition("long_running_queries.warning", SECONDS, "60s",
            "PgHero's default (long_running_query_sec = 60): an OLTP statement running a minute is a runaway or a report on the primary"),
        new ThresholdDefinition("long_running_queries.critical", SECONDS, "5min",
            "five minutes holds back vacuum and replication conflict resolution, and usually means a missing index or a lock pile-up"));
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    double floor = ctx.thresholds().get("long_running_queries.warning").orElse(60.0);
    List<Query> queries = Sql.list(ctx.connection(), """
        SELECT pid, usename, datname, extract(epoch FROM now() - query_start)::float8 AS s,
               coalesce(wait_event_type || ':' || wait_event, '') AS wait, query
          FROM pg_stat_activity
         WHERE state = 'active' AND backend_type = 'client backend' AND pid <> ?
           AND now() - query_start >= make_interval(secs => ?)
         ORDER BY query_start LIMIT 50""",
        rs -> new Query(rs.getInt("pid"), rs.getString("usename"), rs.getString("datname"), rs.getDouble("s"),
            rs.getString("wait"), Units.truncate(rs.getString("query"), 120)),
        ctx.ownPid(), floor);
    return evaluate(queries, ctx.thresholds());
  }

  public static CheckResult evaluate(List<Query> queries, Thresholds t) {
    Threshold threshold = Threshold.above(t.orNull("long_running_queries.warning"), t.orNull("long_running_queries.critical"), "seconds");
    double longest = queries.stream().mapToDouble(Query::seconds).max().orElse(0);
    Status status = queries.isEmpty() ? Status.OK : threshold.statusOf(longest);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("count", queries.size());
    details.put("queries", queries.stream().map(q -> Map.of("pid", q.pid(), "user", String.valueOf(q.user()),
        "database", String.valueOf(q.database()), "duration_seconds", Math.round(q.seconds()), "wait_event", q.waitEvent(),
        "query", String.valueOf(q.query()))).toList());
    String message = queries.isEmpty() ? "no statement has run longer than " + Units.seconds(threshold.warning() == null ? 60 : threshold.warning())
        : queries.size() + " running longer than " + Units.seconds(threshold.warning()) + "; longest pid " + queries.get(0).pid()
            + " for " + Units.seconds(longest) + ": " + Units.truncate(queries.get(0).query(), 60);
    String fix = status == Status.OK ? null
        : "look at its plan with EXPLAIN, cancel it with SELECT pg_cancel_backend(" + queries.get(0).pid()
            + "), and set statement_timeout for the application role";
    return new CheckResult(NAME, status, Math.round(longest), queries.isEmpty() ? "0" : queries.size() + ", longest " + Units.seconds(longest),
        threshold, message, fix, details);
  }
}
