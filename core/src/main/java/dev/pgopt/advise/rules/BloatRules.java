package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.IndexDefinition;
import dev.pgopt.advise.Rule;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code table.bloat} and {@code index.bloat}: space a table or btree index holds beyond what its rows need (at its
 * fillfactor), estimated from pg_class sizes and pg_stats widths with the well-known estimation queries (ioguix's
 * pgsql-bloat-estimation). It is an estimate: columns without statistics make it unknown and are skipped, so ANALYZE
 * first. Indexes are rebuilt online (REINDEX CONCURRENTLY); tables need VACUUM FULL or pg_repack, which is offline.
 */
public final class BloatRules {
  static final long MIN_BYTES = 1024 * 1024;
  static final double MIN_PERCENT = 40;

  private BloatRules() {}

  /** {@code table.bloat}. */
  public static final class TableBloat implements Rule {
    @Override
    public String id() {
      return "table.bloat";
    }

    @Override
    public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
      return tables(ctx);
    }
  }

  /** {@code index.bloat}: btree indexes. */
  public static final class IndexBloat implements Rule {
    @Override
    public String id() {
      return "index.bloat";
    }

    @Override
    public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
      return indexes(ctx);
    }
  }

  /** One row of either estimate; {@code index} is null for tables. */
  record Estimate(String schema, String table, String index, String qualified, long bytes, long bloatBytes, double percent,
                  int fillfactor) {
    Severity severity() {
      return percent >= 70 && bloatBytes >= 100 * MIN_BYTES ? Severity.WARNING : Severity.INFO;
    }

    Map<String, Object> evidence() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("size_bytes", bytes);
      m.put("bloat_bytes", bloatBytes);
      m.put("bloat_percent", Math.round(percent * 10) / 10.0);
      m.put("fillfactor", fillfactor);
      return m;
    }
  }

  static List<Estimate> estimates(AdviceContext ctx, String sql) throws SQLException {
    return Sql.list(ctx.connection(), sql, rs -> new Estimate(rs.getString("schemaname"), rs.getString("tblname"),
        rs.getString("idxname"), rs.getString("qualified"), rs.getLong("real_size"), rs.getLong("bloat_size"),
        rs.getDouble("bloat_pct"), rs.getInt("fillfactor")), MIN_BYTES, MIN_PERCENT);
  }

  static List<Finding> tables(AdviceContext ctx) throws SQLException {
    return estimates(ctx, TABLE_BLOAT).stream().map(e -> new Finding("table.bloat:" + e.schema() + "." + e.table(), "table.bloat",
        e.severity(), DbObject.table(e.schema(), e.table()), e.qualified() + " holds about " + Units.bytes(e.bloatBytes()) + " ("
            + Units.percent(e.percent()) + ") more than its rows need: scans read the empty space too (estimate)",
        e.evidence(), Map.<String, Object>of("reclaimable_bytes", e.bloatBytes()), Confidence.HEURISTIC,
        new Action("VACUUM (FULL, VERBOSE, ANALYZE) " + e.qualified() + ";  -- or pg_repack, which does not block", null, false,
            "ACCESS EXCLUSIVE for the whole rewrite", "high"))).toList();
  }

  static List<Finding> indexes(AdviceContext ctx) throws SQLException {
    return estimates(ctx, INDEX_BLOAT).stream().map(e -> new Finding("index.bloat:" + e.schema() + "." + e.index(), "index.bloat",
        e.severity(), new DbObject(e.schema(), e.table(), e.index(), null), "index " + e.qualified() + " holds about "
            + Units.bytes(e.bloatBytes()) + " (" + Units.percent(e.percent()) + ") more than its entries need (estimate): rebuild it online",
        e.evidence(), Map.<String, Object>of("reclaimable_bytes", e.bloatBytes()), Confidence.HEURISTIC,
        new Action(IndexDefinition.reindex(e.schema(), e.index()), null, true, IndexDefinition.LOCKS, "low"))).toList();
  }

  static final String TABLE_BLOAT = """
      SELECT schemaname, tblname, NULL::text AS idxname, format('%I.%I', schemaname, tblname) AS qualified, (bs * tblpages)::int8 AS real_size, fillfactor,
             CASE WHEN tblpages - est_tblpages_ff > 0 THEN ((tblpages - est_tblpages_ff) * bs)::int8 ELSE 0 END AS bloat_size,
             CASE WHEN tblpages > 0 AND tblpages - est_tblpages_ff > 0 THEN 100 * (tblpages - est_tblpages_ff) / tblpages::float8 ELSE 0 END AS bloat_pct
        FROM (
          SELECT ceil(reltuples / ((bs - page_hdr) * fillfactor / (tpl_size * 100))) + ceil(toasttuples / 4) AS est_tblpages_ff,
                 tblpages, fillfactor, bs, schemaname, tblname, is_na
            FROM (
              SELECT (4 + tpl_hdr_size + tpl_data_size + (2 * ma)
                      - CASE WHEN tpl_hdr_size % ma = 0 THEN ma ELSE tpl_hdr_size % ma END
                      - CASE WHEN ceil(tpl_data_size)::int % ma = 0 THEN ma ELSE ceil(tpl_data_size)::int % ma END) AS tpl_size,
                     (heappages + toastpages) AS tblpages, reltuples, toasttuples, bs, page_hdr, schemaname, tblname, fillfactor, is_na
                FROM (
                  SELECT ns.nspname AS schemaname, tbl.relname AS tblname, tbl.reltuples, tbl.relpages AS heappages,
                         coalesce(toast.relpages, 0) AS toastpages, coalesce(toast.reltuples, 0) AS toasttuples,
                         coalesce(substring(array_to_string(tbl.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::smallint, 100) AS fillfactor,
                         current_setting('block_size')::numeric AS bs, 8 AS ma, 24 AS page_hdr,
                         23 + CASE WHEN max(coalesce(s.null_frac, 0)) > 0 THEN (7 + count(s.attname)) / 8 ELSE 0::int END AS tpl_hdr_size,
                         sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)) AS tpl_data_size,
                         bool_or(att.atttypid = 'pg_catalog.name'::regtype)
                           OR sum(CASE WHEN att.attnum > 0 THEN 1 ELSE 0 END) <> count(s.attname) AS is_na
                    FROM pg_attribute att
                    JOIN pg_class tbl ON att.attrelid = tbl.oid
                    JOIN pg_namespace ns ON ns.oid = tbl.relnamespace
                    LEFT JOIN pg_stats s ON s.schemaname = ns.nspname AND s.tablename = tbl.relname AND NOT s.inherited AND s.attname = att.attname
                    LEFT JOIN pg_class toast ON tbl.reltoastrelid = toast.oid
                   WHERE NOT att.attisdropped AND att.attnum > 0 AND tbl.relkind IN ('r', 'm') AND tbl.reltuples > 0
                     AND ns.nspname NOT IN ('pg_catalog', 'information_schema') AND ns.nspname !~ '^pg_toast'
                   GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) s) s2) s3
       WHERE NOT is_na AND tblpages * bs >= ?
         AND tblpages > 0 AND 100 * (tblpages - est_tblpages_ff) / tblpages::float8 >= ?
       ORDER BY bloat_size DESC""";

  static final String INDEX_BLOAT = """
      SELECT nspname AS schemaname, tblname, idxname, format('%I.%I', nspname, idxname) AS qualified, (bs * relpages)::int8 AS real_size, fillfactor,
             CASE WHEN relpages > est_pages_ff THEN (bs * (relpages - est_pages_ff))::int8 ELSE 0 END AS bloat_size,
             100 * (relpages - est_pages_ff)::float8 / relpages AS bloat_pct
        FROM (
          SELECT coalesce(1 + ceil(reltuples / floor((bs - pageopqdata - pagehdr) * fillfactor / (100 * (4 + nulldatahdrwidth)::float8))), 0) AS est_pages_ff,
                 bs, nspname, tblname, idxname, relpages, fillfactor, is_na
            FROM (
              SELECT maxalign, bs, nspname, tblname, idxname, reltuples, relpages, fillfactor,
                     (index_tuple_hdr_bm + maxalign
                      - CASE WHEN index_tuple_hdr_bm % maxalign = 0 THEN maxalign ELSE index_tuple_hdr_bm % maxalign END
                      + nulldatawidth + maxalign
                      - CASE WHEN nulldatawidth = 0 THEN 0 WHEN nulldatawidth::integer % maxalign = 0 THEN maxalign
                             ELSE nulldatawidth::integer % maxalign END)::numeric AS nulldatahdrwidth,
                     pagehdr, pageopqdata, is_na
                FROM (
                  SELECT n.nspname, i.tblname, i.idxname, i.reltuples, i.relpages, i.fillfactor,
                         current_setting('block_size')::numeric AS bs, 8 AS maxalign, 24 AS pagehdr, 16 AS pageopqdata,
                         CASE WHEN max(coalesce(s.null_frac, 0)) = 0 THEN 8 ELSE 8 + ((32 + 8 - 1) / 8) END AS index_tuple_hdr_bm,
                         sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 1024)) AS nulldatawidth,
                         max(CASE WHEN i.atttypid = 'pg_catalog.name'::regtype THEN 1 ELSE 0 END) > 0 AS is_na
                    FROM (
                      SELECT ct.relname AS tblname, ct.relnamespace, ic.idxname, ic.reltuples, ic.relpages, ic.fillfactor,
                             coalesce(a1.attname, a2.attname) AS attname, coalesce(a1.atttypid, a2.atttypid) AS atttypid,
                             CASE WHEN a1.attnum IS NULL THEN ic.idxname ELSE ct.relname END AS attrelname
                        FROM (
                          SELECT ci.relname AS idxname, ci.reltuples, ci.relpages, x.indrelid AS tbloid, x.indexrelid AS idxoid,
                                 coalesce(substring(array_to_string(ci.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::smallint, 90) AS fillfactor,
                                 string_to_array(textin(int2vectorout(x.indkey)), ' ')::int[] AS indkey,
                                 generate_series(1, x.indnatts) AS attpos
                            FROM pg_index x JOIN pg_class ci ON ci.oid = x.indexrelid
                           WHERE ci.relam = (SELECT oid FROM pg_am WHERE amname = 'btree') AND ci.relpages > 0 AND x.indisvalid) ic
                        JOIN pg_class ct ON ct.oid = ic.tbloid
                        LEFT JOIN pg_attribute a1 ON ic.indkey[ic.attpos] <> 0 AND a1.attrelid = ic.tbloid AND a1.attnum = ic.indkey[ic.attpos]
                        LEFT JOIN pg_attribute a2 ON ic.indkey[ic.attpos] = 0 AND a2.attrelid = ic.idxoid AND a2.attnum = ic.attpos) i
                    JOIN pg_namespace n ON n.oid = i.relnamespace
                    JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = i.attrelname AND s.attname = i.attname
                   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
                   GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) rows_data_stats) rows_hdr_pdg_stats) relation_stats
       WHERE NOT is_na AND bs * relpages >= ? AND relpages > 0 AND 100 * (relpages - est_pages_ff)::float8 / relpages >= ?
       ORDER BY bloat_size DESC""";
}
