package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.IndexDefinition;
import dev.pgopt.advise.Rule;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code index.fk_missing}: foreign-key columns no index leads with. It matters when the referenced table sees updates
 * or deletes (each one scans the referencing table for matches) or when the workload joins or filters on the columns.
 */
public final class ForeignKeyIndexRule implements Rule {
  /** Below this many rows a scan of the referencing table costs nothing worth an index. */
  static final double MIN_ROWS = 1_000;

  @Override
  public String id() {
    return "index.fk_missing";
  }

  record ForeignKey(String name, String schema, String table, String qualifiedTable, List<String> columns, String referenced,
                    double rows, long referencedUpdatesDeletes) {}

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    List<ForeignKey> fks = Sql.list(ctx.connection(), """
        SELECT c.conname, n.nspname, t.relname, format('%I.%I', n.nspname, t.relname),
               (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum),
               format('%I.%I', rn.nspname, r.relname), greatest(t.reltuples, 0)::float8,
               coalesce(rs.n_tup_upd + rs.n_tup_del, 0)
          FROM pg_constraint c
          JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
          JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
          LEFT JOIN pg_stat_user_tables rs ON rs.relid = c.confrelid
         WHERE c.contype = 'f'
           AND NOT EXISTS (
             SELECT 1 FROM pg_index x
              WHERE x.indrelid = c.conrelid AND x.indisvalid AND x.indpred IS NULL
                AND (x.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
                AND (x.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)
         ORDER BY 2, 3, 1""",
        rs -> new ForeignKey(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
            Arrays.asList((String[]) rs.getArray(5).getArray()), rs.getString(6), rs.getDouble(7), rs.getLong(8)));
    List<Finding> out = new ArrayList<>();
    for (ForeignKey fk : fks) {
      if (fk.rows() < MIN_ROWS) {
        continue;
      }
      long workloadCalls = workloadCalls(ctx, fk);
      if (fk.referencedUpdatesDeletes() == 0 && workloadCalls == 0) {
        continue;
      }
      Map<String, Object> evidence = new LinkedHashMap<>();
      evidence.put("constraint", fk.name());
      evidence.put("references", fk.referenced());
      evidence.put("referencing_rows", Math.round(fk.rows()));
      evidence.put("referenced_updates_and_deletes", fk.referencedUpdatesDeletes());
      evidence.put("workload_calls_using_columns", workloadCalls);
      String indexName = Quoting.indexName(fk.table(), fk.columns());
      out.add(new Finding(id() + ":" + fk.schema() + "." + fk.table() + "(" + String.join(",", fk.columns()) + ")", id(),
          fk.rows() >= 100_000 ? Severity.WARNING : Severity.INFO,
          new DbObject(fk.schema(), fk.table(), null, fk.columns()),
          "foreign key " + fk.name() + " on " + fk.qualifiedTable() + " (" + String.join(", ", fk.columns())
              + ") has no index: every update or delete on " + fk.referenced() + " scans its " + dev.pgopt.analyze.health.Units.count(fk.rows()) + " rows",
          evidence, Map.of(), Confidence.HEURISTIC,
          IndexDefinition.of(fk.schema(), fk.table(), indexName,
              fk.columns().stream().map(col -> IndexDefinition.column(col, null)).toList()).action(null)));
    }
    return out;
  }

  /** Calls of workload statements that mention the referencing table and every FK column. */
  private static long workloadCalls(AdviceContext ctx, ForeignKey fk) {
    if (ctx.workload().isEmpty()) {
      return 0;
    }
    long calls = 0;
    for (StatementEntry e : ctx.workload().get().entries()) {
      String q = e.query().toLowerCase(Locale.ROOT);
      if (q.contains(fk.table().toLowerCase(Locale.ROOT)) && fk.columns().stream().allMatch(col -> q.contains(col.toLowerCase(Locale.ROOT)))
          && !q.startsWith("copy") && !q.startsWith("alter")) {
        calls += e.counters().calls();
      }
    }
    return calls;
  }
}
