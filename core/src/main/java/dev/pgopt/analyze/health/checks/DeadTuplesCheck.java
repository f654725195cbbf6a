package dev.pgopt.analyze.health.checks;

import static dev.pgopt.analyze.health.ThresholdDefinition.Kind.COUNT;
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
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tables where dead rows make up a large share: vacuum is behind, off, or blocked. */
public final class DeadTuplesCheck implements HealthCheck {
  public static final String NAME = "dead_tuples";

  public record Table(String schema, String name, long live, long dead, Timestamp lastVacuum, Timestamp lastAutovacuum,
                      boolean autovacuumEnabled) {
    public double deadPercent() {
      return live + dead == 0 ? 0 : 100.0 * dead / (live + dead);
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ThresholdDefinition> thresholds() {
    return List.of(
        new ThresholdDefinition("dead_tuples.warning", PERCENT, "20",
            "with the default autovacuum_vacuum_scale_factor (0.2) autovacuum starts when dead rows reach ~17 % of a table; 20 % means it is behind"),
        new ThresholdDefinition("dead_tuples.critical", PERCENT, "50",
            "half the table dead: scans read twice the pages they need and the table will not shrink without VACUUM FULL or pg_repack"),
        new ThresholdDefinition("dead_tuples.min_dead", COUNT, "1000",
            "small tables churn harmlessly; autovacuum's own base threshold is 50 rows"));
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    double minDead = ctx.thresholds().get("dead_tuples.min_dead").orElse(0.0);
    List<Table> tables = Sql.list(ctx.connection(), """
        SELECT s.schemaname, s.relname, s.n_live_tup, s.n_dead_tup, s.last_vacuum, s.last_autovacuum,
               coalesce(NOT ('autovacuum_enabled=false' = ANY (c.reloptions)), true) AS av
          FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
         WHERE s.n_dead_tup >= ?
         ORDER BY s.n_dead_tup::float8 / greatest(s.n_live_tup + s.n_dead_tup, 1) DESC LIMIT 20""",
        rs -> new Table(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getTimestamp(5),
            rs.getTimestamp(6), rs.getBoolean(7)),
        (long) minDead);
    return evaluate(tables, ctx.thresholds());
  }

  public static CheckResult evaluate(List<Table> tables, Thresholds t) {
    Threshold threshold = Threshold.above(t.orNull("dead_tuples.warning"), t.orNull("dead_tuples.critical"), "percent");
    double worst = tables.stream().mapToDouble(Table::deadPercent).max().orElse(0);
    Status status = threshold.statusOf(worst);
    List<Table> flagged = tables.stream().filter(x -> threshold.statusOf(x.deadPercent()) != Status.OK).toList();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("tables", tables.stream().map(x -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("table", x.schema() + "." + x.name());
      m.put("live", x.live());
      m.put("dead", x.dead());
      m.put("dead_percent", Math.round(x.deadPercent() * 10) / 10.0);
      m.put("last_vacuum", x.lastVacuum() == null ? null : x.lastVacuum().toInstant().toString());
      m.put("last_autovacuum", x.lastAutovacuum() == null ? null : x.lastAutovacuum().toInstant().toString());
      m.put("autovacuum_enabled", x.autovacuumEnabled());
      return m;
    }).toList());
    String message;
    String fix = null;
    if (flagged.isEmpty()) {
      message = tables.isEmpty() ? "no table has many dead rows"
          : "worst: " + tables.get(0).name() + " " + Units.percent(tables.get(0).deadPercent()) + " dead";
    } else {
      Table w = flagged.get(0);
      message = flagged.size() + " tables over " + Units.percent(threshold.warning() == null ? 0 : threshold.warning())
          + " dead; worst " + w.schema() + "." + w.name() + " " + Units.count(w.dead()) + " dead rows ("
          + Units.percent(w.deadPercent()) + "), last vacuum " + (lastVacuum(w) == null ? "never" : lastVacuum(w).toInstant())
          + (w.autovacuumEnabled() ? "" : ", autovacuum disabled on it");
      fix = "VACUUM (VERBOSE) " + w.schema() + "." + w.name() + "; if dead rows stay, see idle_in_transaction, "
          + "long_running_queries and replication slots, which hold cleanup back";
    }
    return new CheckResult(NAME, status, Math.round(worst * 10) / 10.0, Units.percent(worst), threshold, message, fix, details);
  }

  private static Timestamp lastVacuum(Table t) {
    if (t.lastVacuum() == null) {
      return t.lastAutovacuum();
    }
    if (t.lastAutovacuum() == null) {
      return t.lastVacuum();
    }
    return t.lastVacuum().after(t.lastAutovacuum()) ? t.lastVacuum() : t.lastAutovacuum();
  }
}
