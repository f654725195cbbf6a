package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.Rule;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code table.analyze}: rows modified since the last analyze beyond autovacuum's own analyze threshold
 * ({@code autovacuum_analyze_threshold + autovacuum_analyze_scale_factor × rows}, table settings included), or the
 * planner's row count 100× away from the live rows: autoanalyze is behind or off, and the planner works from stale
 * statistics. Tables analyzed within two autovacuum naptimes are left alone where autovacuum runs for them
 * (autoanalyze has not had its chance yet), not where it is disabled.
 */
public final class TableAnalyzeRule implements Rule {
  static final long MIN_MODIFIED = 1_000;
  /** The planner's row count and the live rows this far apart (either way), on tables this big, is evidence. */
  static final double ESTIMATE_GAP = 100;
  static final long MIN_ROWS_FOR_GAP = 1_000;

  @Override
  public String id() {
    return "table.analyze";
  }

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    return Sql.list(ctx.connection(), """
        WITH s AS (
          SELECT t.schemaname, t.relname, format('%I.%I', t.schemaname, t.relname) AS qualified, t.n_mod_since_analyze,
                 greatest(c.reltuples, 0) AS rows, greatest(t.last_analyze, t.last_autoanalyze) AS last,
                 coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_analyze_threshold'),
                          current_setting('autovacuum_analyze_threshold')::float8) AS base,
                 coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_analyze_scale_factor'),
                          current_setting('autovacuum_analyze_scale_factor')::float8) AS factor,
                 current_setting('autovacuum') = 'off' OR coalesce((SELECT option_value FROM pg_options_to_table(c.reloptions)
                   WHERE option_name = 'autovacuum_enabled'), 'true') IN ('false', 'off', 'no', '0') AS autovacuum_off,
                 t.n_live_tup AS live
            FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid)
        SELECT schemaname, relname, qualified, n_mod_since_analyze, rows, last, base + factor * rows AS threshold,
               autovacuum_off, live,
               greatest(live, rows) >= ? AND greatest(live, rows) / greatest(least(live, rows), 1) >= ? AS estimate_off
          FROM s
         WHERE (n_mod_since_analyze >= greatest(?, base + factor * rows)
                -- the planner's row count against the live rows: a gap of 100x is itself evidence of stale statistics
                OR (greatest(live, rows) >= ? AND greatest(live, rows) / greatest(least(live, rows), 1) >= ?))
           -- give autoanalyze two rounds to catch up where it runs; also avoids counting writes whose statistics arrived
           -- after an ANALYZE. Where autovacuum is off for the table, nobody else will analyze it.
           AND (autovacuum_off OR last IS NULL OR last < now() - 2 * current_setting('autovacuum_naptime')::interval)
         ORDER BY n_mod_since_analyze DESC""",
        rs -> {
          long modified = rs.getLong(4);
          double threshold = rs.getDouble(7);
          Map<String, Object> evidence = new LinkedHashMap<>();
          evidence.put("modified_since_analyze", modified);
          evidence.put("autoanalyze_threshold", Math.round(threshold));
          evidence.put("row_estimate", Math.round(rs.getDouble(5)));
          evidence.put("last_analyze", rs.getTimestamp(6) == null ? null : rs.getTimestamp(6).toInstant().toString());
          boolean autovacuumOff = rs.getBoolean(8);
          long live = rs.getLong(9);
          boolean estimateOff = rs.getBoolean(10);
          evidence.put("live_rows", live);
          evidence.put("autovacuum_disabled", autovacuumOff);
          String why = estimateOff
              ? "the planner counts " + Units.count(rs.getDouble(5)) + " rows in it, the table holds " + Units.count(live)
              : Units.count(modified) + " rows modified since it was last analyzed (autoanalyze would run at "
                  + Units.count(threshold) + ")";
          return new Finding(id() + ":" + rs.getString(1) + "." + rs.getString(2), id(),
              estimateOff || modified >= 2 * threshold ? Severity.WARNING : Severity.INFO,
              DbObject.table(rs.getString(1), rs.getString(2)),
              rs.getString(3) + ": " + why + (autovacuumOff ? "; autovacuum is disabled for it, so nothing analyzes it" : "")
                  + ": plans use stale statistics",
              evidence, Map.of(), Confidence.MEASURED,
              new Action("ANALYZE " + rs.getString(3) + ";", null, true, "SHARE UPDATE EXCLUSIVE", "low"));
        },
        MIN_ROWS_FOR_GAP, ESTIMATE_GAP, MIN_MODIFIED, MIN_ROWS_FOR_GAP, ESTIMATE_GAP);
  }
}
