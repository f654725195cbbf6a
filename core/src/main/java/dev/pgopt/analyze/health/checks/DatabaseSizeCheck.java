package dev.pgopt.analyze.health.checks;

import static dev.pgopt.analyze.health.ThresholdDefinition.Kind.BYTES;

import dev.pgopt.analyze.health.CheckContext;
import dev.pgopt.analyze.health.CheckResult;
import dev.pgopt.analyze.health.HealthCheck;
import dev.pgopt.analyze.health.Threshold;
import dev.pgopt.analyze.health.ThresholdDefinition;
import dev.pgopt.analyze.health.Thresholds;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Size of the current database and its largest tables (heap, indexes and TOAST). */
public final class DatabaseSizeCheck implements HealthCheck {
  public static final String NAME = "database_size";

  public record Table(String schema, String name, long totalBytes, long tableBytes, long indexBytes, long rowEstimate) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ThresholdDefinition> thresholds() {
    return List.of(
        new ThresholdDefinition("database_size.warning", BYTES, null,
            "off by default: a healthy size depends on the plan and disk; set it to your storage quota's warning level (e.g. Neon's plan limit)"),
        new ThresholdDefinition("database_size.critical", BYTES, null,
            "off by default: set it to the size at which you run out of disk or budget"));
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    long size = Sql.one(ctx.connection(), "SELECT pg_database_size(current_database())", rs -> rs.getLong(1));
    List<Table> largest = Sql.list(ctx.connection(), """
        SELECT n.nspname, c.relname, pg_total_relation_size(c.oid) AS total, pg_relation_size(c.oid) AS heap,
               pg_indexes_size(c.oid) AS idx, greatest(c.reltuples, 0)::int8 AS rows
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
         ORDER BY total DESC LIMIT 10""",
        rs -> new Table(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6)));
    return evaluate(size, largest, ctx.thresholds());
  }

  public static CheckResult evaluate(long size, List<Table> largest, Thresholds t) {
    Threshold threshold = Threshold.above(t.orNull("database_size.warning"), t.orNull("database_size.critical"), "bytes");
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("bytes", size);
    details.put("largest_tables", largest.stream().map(x -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("table", x.schema() + "." + x.name());
      m.put("total_bytes", x.totalBytes());
      m.put("table_bytes", x.tableBytes());
      m.put("index_bytes", x.indexBytes());
      m.put("toast_and_other_bytes", Math.max(0, x.totalBytes() - x.tableBytes() - x.indexBytes()));
      m.put("row_estimate", x.rowEstimate());
      return m;
    }).toList());
    String message = largest.isEmpty() ? "no user tables"
        : "largest: " + String.join(", ", largest.stream().limit(3)
            .map(x -> x.name() + " " + Units.bytes(x.totalBytes())).toList());
    var status = threshold.statusOf(size);
    return new CheckResult(NAME, status, size, Units.bytes(size), threshold, message,
        status == dev.pgopt.analyze.health.Status.OK ? null : "drop or archive old data (partition time-series tables), and check dead_tuples for bloat",
        details);
  }
}
