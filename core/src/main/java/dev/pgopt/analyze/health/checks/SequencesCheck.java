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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sequences close to their end. The end is the tighter of the sequence's own bound and the type of the column it
 * feeds: a bigint sequence behind an integer column fails at 2^31 - 1.
 */
public final class SequencesCheck implements HealthCheck {
  public static final String NAME = "sequences";

  /** {@code lastValue} is null when the sequence was never used or this role may not read it ({@code readable}). */
  /**
   * @param column the column it feeds as schema.table.column (for display), or null
   * @param owner the same as names, or null
   */
  public record Sequence(String schema, String name, long minValue, long maxValue, long increment, boolean cycle,
                         Long lastValue, boolean readable, String columnType, String column, Owner owner) {
    /** The column a sequence feeds. */
    public record Owner(String schema, String table, String column) {}


    /** The value at which nextval (or the insert into the column) fails. */
    public long effectiveLimit() {
      long columnMax = switch (columnType == null ? "" : columnType) {
        case "smallint" -> Short.MAX_VALUE;
        case "integer" -> Integer.MAX_VALUE;
        default -> Long.MAX_VALUE;
      };
      long columnMin = switch (columnType == null ? "" : columnType) {
        case "smallint" -> Short.MIN_VALUE;
        case "integer" -> Integer.MIN_VALUE;
        default -> Long.MIN_VALUE;
      };
      return increment > 0 ? Math.min(maxValue, columnMax) : Math.max(minValue, columnMin);
    }

    /** How much of the range from the start bound to the limit is used. */
    public double usedPercent() {
      if (lastValue == null) {
        return 0;
      }
      double start = increment > 0 ? Math.max(minValue, 0) : Math.min(maxValue, 0);
      double range = (double) effectiveLimit() - start;
      return range == 0 ? 100 : Math.max(0, 100.0 * ((double) lastValue - start) / range);
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ThresholdDefinition> thresholds() {
    return List.of(
        new ThresholdDefinition("sequences.warning", PERCENT, "75",
            "a quarter of the range left still leaves time to migrate the column to bigint without an outage"),
        new ThresholdDefinition("sequences.critical", PERCENT, "90",
            "PgHero's sequence danger level: migrating a large integer column takes a table rewrite you must schedule now"));
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    return evaluate(read(ctx.connection()), ctx.thresholds());
  }

  /** Every sequence of the database with the column it feeds. */
  public static List<Sequence> read(java.sql.Connection c) throws SQLException {
    return Sql.list(c, """
        SELECT s.schemaname, s.sequencename, s.min_value, s.max_value, s.increment_by, s.cycle, s.last_value,
               has_sequence_privilege(c.oid, 'SELECT') OR has_sequence_privilege(c.oid, 'USAGE') AS readable,
               format_type(a.atttypid, NULL) AS column_type,
               tn.nspname || '.' || t.relname || '.' || a.attname AS column_name,
               tn.nspname AS owner_schema, t.relname AS owner_table, a.attname AS owner_column
          FROM pg_sequences s
          JOIN pg_namespace n ON n.nspname = s.schemaname
          JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
          LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                               AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
          LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
          LEFT JOIN pg_class t ON t.oid = d.refobjid
          LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace""",
        rs -> new Sequence(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
            rs.getBoolean(6), Sql.nullableLong(rs, "last_value"), rs.getBoolean("readable"), rs.getString("column_type"),
            rs.getString("column_name"), rs.getString("owner_column") == null ? null
                : new Sequence.Owner(rs.getString("owner_schema"), rs.getString("owner_table"), rs.getString("owner_column"))));
  }

  public static CheckResult evaluate(List<Sequence> seqs, Thresholds t) {
    Threshold threshold = Threshold.above(t.orNull("sequences.warning"), t.orNull("sequences.critical"), "percent");
    List<Sequence> judged = new ArrayList<>(seqs.stream().filter(s -> s.readable() && !s.cycle()).toList());
    judged.sort((a, b) -> Double.compare(b.usedPercent(), a.usedPercent()));
    List<Sequence> hidden = seqs.stream().filter(s -> !s.readable()).toList();
    double worst = judged.isEmpty() ? 0 : judged.get(0).usedPercent();
    Status status = threshold.statusOf(worst);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("checked", judged.size());
    details.put("sequences", judged.stream().limit(10).map(s -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("sequence", s.schema() + "." + s.name());
      m.put("last_value", s.lastValue());
      m.put("limit", s.effectiveLimit());
      m.put("used_percent", Math.round(s.usedPercent() * 100) / 100.0);
      m.put("column", s.column());
      m.put("column_type", s.columnType());
      return m;
    }).toList());
    details.put("unreadable", hidden.stream().map(s -> s.schema() + "." + s.name()).toList());
    String message = judged.isEmpty() ? "no sequences" : "fullest: " + judged.get(0).schema() + "." + judged.get(0).name()
        + " at " + Units.percent(worst) + " of " + Units.count(judged.get(0).effectiveLimit())
        + (judged.get(0).column() != null ? " (feeds " + judged.get(0).columnType() + " " + judged.get(0).column() + ")" : "");
    if (!hidden.isEmpty()) {
      message += "; " + hidden.size() + " sequences not readable by this role";
    }
    String fix = null;
    if (status != Status.OK) {
      Sequence s = judged.get(0);
      fix = s.column() != null && !"bigint".equals(s.columnType())
          ? "migrate " + s.column() + " to bigint (ALTER TABLE ... ALTER COLUMN ... TYPE bigint rewrites the table: plan it) and ALTER SEQUENCE " + s.schema() + "." + s.name() + " AS bigint"
          : "widen or reset " + s.schema() + "." + s.name() + " before it runs out";
    } else if (!hidden.isEmpty()) {
      fix = "GRANT SELECT ON ALL SEQUENCES IN SCHEMA <schema> TO <this role> to check them too";
    }
    return new CheckResult(NAME, status, Math.round(worst * 100) / 100.0, Units.percent(worst), threshold, message, fix, details);
  }
}
