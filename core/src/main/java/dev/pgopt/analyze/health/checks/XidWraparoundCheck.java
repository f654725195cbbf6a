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

/**
 * Transaction-id (and multixact) age per database and for the oldest tables. Ages grow until a freezing vacuum
 * runs; at about 2^31 the server stops accepting writes.
 */
public final class XidWraparoundCheck implements HealthCheck {
  public static final String NAME = "xid_wraparound";
  /** Transaction ids available before wraparound. */
  public static final double WRAPAROUND = Math.pow(2, 31);

  public record Database(String name, long xidAge, long mxidAge) {}

  public record Table(String schema, String name, long xidAge) {}

  public record Facts(List<Database> databases, List<Table> oldestTables, long freezeMaxAge, long multixactFreezeMaxAge) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ThresholdDefinition> thresholds() {
    return List.of(
        new ThresholdDefinition("xid_wraparound.warning", PERCENT, "125",
            "as % of autovacuum_freeze_max_age: at 100 % autovacuum forces a freezing vacuum; 25 % past it means that vacuum is not finishing"),
        new ThresholdDefinition("xid_wraparound.critical", PERCENT, "50",
            "as % of the 2^31 wraparound horizon (~1.07 billion): half way to where the server stops accepting writes, and freezing a large table takes hours"));
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    List<Database> dbs = Sql.list(ctx.connection(),
        "SELECT datname, age(datfrozenxid)::int8, mxid_age(datminmxid)::int8 FROM pg_database ORDER BY 2 DESC",
        rs -> new Database(rs.getString(1), rs.getLong(2), rs.getLong(3)));
    List<Table> tables = Sql.list(ctx.connection(), """
        SELECT n.nspname, c.relname, age(c.relfrozenxid)::int8 AS age
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'm', 't') ORDER BY 3 DESC LIMIT 5""",
        rs -> new Table(rs.getString(1), rs.getString(2), rs.getLong(3)));
    long[] limits = Sql.one(ctx.connection(), """
        SELECT current_setting('autovacuum_freeze_max_age')::int8, current_setting('autovacuum_multixact_freeze_max_age')::int8""",
        rs -> new long[] {rs.getLong(1), rs.getLong(2)});
    return evaluate(new Facts(dbs, tables, limits[0], limits[1]), ctx.thresholds());
  }

  public static CheckResult evaluate(Facts f, Thresholds t) {
    Double warnPct = t.orNull("xid_wraparound.warning");
    Double critPct = t.orNull("xid_wraparound.critical");
    Double warnAge = warnPct == null ? null : warnPct / 100 * f.freezeMaxAge();
    Double critAge = critPct == null ? null : critPct / 100 * WRAPAROUND;
    Threshold threshold = Threshold.above(warnAge, critAge, "transactions");
    Database oldest = f.databases().stream().max((a, b) -> Long.compare(a.xidAge(), b.xidAge())).orElse(new Database("-", 0, 0));
    Database oldestMx = f.databases().stream().max((a, b) -> Long.compare(a.mxidAge(), b.mxidAge())).orElse(new Database("-", 0, 0));
    Status status = threshold.statusOf(oldest.xidAge());
    Threshold mxThreshold = Threshold.above(warnPct == null ? null : warnPct / 100 * f.multixactFreezeMaxAge(), critAge, "multixacts");
    status = Status.worst(status, mxThreshold.statusOf(oldestMx.mxidAge()));
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("autovacuum_freeze_max_age", f.freezeMaxAge());
    details.put("autovacuum_multixact_freeze_max_age", f.multixactFreezeMaxAge());
    details.put("databases", f.databases().stream().map(d -> Map.of("database", d.name(), "xid_age", d.xidAge(),
        "mxid_age", d.mxidAge(), "percent_of_wraparound", Math.round(1000.0 * d.xidAge() / WRAPAROUND) / 10.0)).toList());
    details.put("oldest_tables", f.oldestTables().stream().map(x -> Map.of("table", x.schema() + "." + x.name(),
        "xid_age", x.xidAge())).toList());
    double pctOfFreeze = 100.0 * oldest.xidAge() / Math.max(1, f.freezeMaxAge());
    String message = "oldest database " + oldest.name() + " is " + Units.count(oldest.xidAge()) + " transactions old ("
        + Units.percent(pctOfFreeze) + " of autovacuum_freeze_max_age, " + Units.percent(100.0 * oldest.xidAge() / WRAPAROUND)
        + " of the wraparound horizon)"
        + (f.oldestTables().isEmpty() ? "" : "; oldest table " + f.oldestTables().get(0).schema() + "." + f.oldestTables().get(0).name());
    String fix = status == Status.OK ? null
        : "run VACUUM (FREEZE, VERBOSE) on the oldest tables in " + oldest.name()
            + "; first end what holds the xmin horizon back (idle transactions, stale replication slots, prepared transactions)";
    return new CheckResult(NAME, status, oldest.xidAge(), Units.count(oldest.xidAge()), threshold, message, fix, details);
  }
}
