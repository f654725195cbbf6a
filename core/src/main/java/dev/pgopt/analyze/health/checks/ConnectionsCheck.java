package dev.pgopt.analyze.health.checks;

import static dev.pgopt.analyze.health.ThresholdDefinition.Kind.PERCENT;

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

/** Client connections by state against the slots ordinary roles can use. */
public final class ConnectionsCheck implements HealthCheck {
  public static final String NAME = "connections";

  /** Client backends by state ("hidden" when the role may not see another role's state), and the limits. */
  public record Facts(Map<String, Long> byState, int maxConnections, int superuserReserved, int reserved) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ThresholdDefinition> thresholds() {
    return List.of(
        new ThresholdDefinition("connections.warning", PERCENT, "70",
            "the seeds alert at 70 % usage: room is left for bursts and for the pooler to grow"),
        new ThresholdDefinition("connections.critical", PERCENT, "90",
            "at 90 % (seeds) a burst exhausts the slots and new clients get 'too many clients'"));
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    Map<String, Long> byState = new LinkedHashMap<>();
    Sql.list(ctx.connection(), """
        SELECT coalesce(state, 'hidden') AS state, count(*) AS n
          FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1 ORDER BY 2 DESC""",
        rs -> byState.put(rs.getString("state"), rs.getLong("n")));
    int[] limits = Sql.one(ctx.connection(), """
        SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int,
               coalesce(current_setting('reserved_connections', true)::int, 0)""",
        rs -> new int[] {rs.getInt(1), rs.getInt(2), rs.getInt(3)});
    return evaluate(new Facts(byState, limits[0], limits[1], limits[2]), ctx.thresholds());
  }

  public static CheckResult evaluate(Facts f, Thresholds t) {
    long used = f.byState().values().stream().mapToLong(Long::longValue).sum();
    int available = Math.max(1, f.maxConnections() - f.superuserReserved() - f.reserved());
    double pct = 100.0 * used / available;
    Threshold threshold = Threshold.above(t.orNull("connections.warning"), t.orNull("connections.critical"), "percent");
    Status status = threshold.statusOf(pct);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("used", used);
    details.put("available", available);
    details.put("by_state", f.byState());
    details.put("max_connections", f.maxConnections());
    details.put("superuser_reserved_connections", f.superuserReserved());
    details.put("reserved_connections", f.reserved());
    long idle = f.byState().getOrDefault("idle", 0L);
    String message = used + " of " + available + " usable slots in use (" + f.byState().getOrDefault("active", 0L)
        + " active, " + idle + " idle); " + f.superuserReserved() + " more reserved for superusers";
    if (f.byState().containsKey("hidden")) {
      message += "; the states of " + f.byState().get("hidden") + " sessions are hidden from this role";
    }
    String fix = status == Status.OK ? null : idle > used / 2
        ? "most connections are idle: put a pooler (PgBouncer, transaction mode) in front or shrink application pools"
        : "reduce client pool sizes or raise max_connections (needs a restart; each slot costs memory)";
    return new CheckResult(NAME, status, round1(pct), used + "/" + available + " (" + Units.percent(pct) + ")",
        threshold, message, fix, details);
  }

  static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
