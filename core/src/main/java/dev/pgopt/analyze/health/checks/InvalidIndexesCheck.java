package dev.pgopt.analyze.health.checks;

import dev.pgopt.analyze.health.CheckContext;
import dev.pgopt.analyze.health.CheckResult;
import dev.pgopt.analyze.health.HealthCheck;
import dev.pgopt.analyze.health.Status;
import dev.pgopt.analyze.health.Threshold;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Indexes left invalid, usually by a failed {@code CREATE INDEX CONCURRENTLY}: every write still maintains them,
 * no query can use them. Builds in progress are invalid too and are reported, not flagged.
 */
public final class InvalidIndexesCheck implements HealthCheck {
  public static final String NAME = "invalid_indexes";

  public record Index(String schema, String name, String table, long bytes, boolean ready, boolean building) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    List<Index> indexes = Sql.list(ctx.connection(), """
        SELECT n.nspname, c.relname, t.relname, pg_relation_size(c.oid), i.indisready,
               EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = c.oid) AS building
          FROM pg_index i
          JOIN pg_class c ON c.oid = i.indexrelid
          JOIN pg_class t ON t.oid = i.indrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE NOT i.indisvalid ORDER BY 1, 2""",
        rs -> new Index(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getBoolean(5), rs.getBoolean(6)));
    return evaluate(indexes);
  }

  public static CheckResult evaluate(List<Index> indexes) {
    List<Index> broken = indexes.stream().filter(i -> !i.building()).toList();
    List<Index> building = indexes.stream().filter(Index::building).toList();
    Status status = broken.isEmpty() ? Status.OK : Status.WARNING;
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("invalid", broken.stream().map(i -> Map.of("index", i.schema() + "." + i.name(), "table", i.table(),
        "bytes", i.bytes(), "maintained_on_writes", i.ready())).toList());
    details.put("being_built", building.stream().map(i -> i.schema() + "." + i.name()).toList());
    String message = broken.isEmpty() ? "no invalid indexes" + (building.isEmpty() ? "" : " (" + building.size() + " being built)")
        : broken.size() + " invalid: " + String.join(", ", broken.stream().limit(5)
            .map(i -> i.schema() + "." + i.name() + " on " + i.table() + " (" + Units.bytes(i.bytes()) + ")").toList());
    String fix = broken.isEmpty() ? null
        : "REINDEX INDEX CONCURRENTLY " + Quoting.ident(broken.get(0).schema()) + "." + Quoting.ident(broken.get(0).name())
            + " to rebuild it, or DROP INDEX CONCURRENTLY if it is not needed";
    return new CheckResult(NAME, status, broken.size(), Integer.toString(broken.size()),
        Threshold.above(1.0, null, "indexes"), message, fix, details);
  }
}
