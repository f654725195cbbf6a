package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.IndexDefinition;
import dev.pgopt.advise.Rule;
import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code index.invalid}: left by a failed CREATE INDEX CONCURRENTLY; maintained on writes, used by no query. A unique
 * one is rebuilt only when the table holds no duplicate keys (the build would fail and leave no unique index at all),
 * and new-before-old, so whatever it still enforces is enforced throughout.
 */
public final class IndexInvalidRule implements Rule {
  // counting duplicates reads the whole table: bounded, and an unknown answer proposes no rebuild
  private static final String DUPLICATE_CHECK_TIMEOUT = "10s";

  @Override
  public String id() {
    return "index.invalid";
  }

  private record Invalid(String schema, String table, String index, String qualified, long bytes, boolean ready,
                         String definition, boolean unique, List<String> keys, String predicate, boolean nullsNotDistinct,
                         String qualifiedTable) {}

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    List<Invalid> invalid = Sql.list(ctx.connection(), """
        SELECT n.nspname, t.relname, i.relname, format('%I.%I', n.nspname, i.relname), pg_relation_size(i.oid),
               x.indisready, pg_get_indexdef(i.oid), x.indisunique,
               (SELECT array_agg(pg_get_indexdef(i.oid, k, true) ORDER BY k) FROM generate_series(1, x.indnkeyatts) k),
               pg_get_expr(x.indpred, x.indrelid),""" + " " + (ctx.serverVersionNum() >= 150000 ? "x.indnullsnotdistinct" : "false") + """
        , format('%I.%I', tn.nspname, t.relname)
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
          JOIN pg_namespace n ON n.oid = i.relnamespace JOIN pg_namespace tn ON tn.oid = t.relnamespace
         WHERE NOT x.indisvalid
           AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.oid)""",
        rs -> new Invalid(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5), rs.getBoolean(6),
            rs.getString(7), rs.getBoolean(8), List.of((String[]) rs.getArray(9).getArray()), rs.getString(10),
            rs.getBoolean(11), rs.getString(12)));
    List<Finding> out = new ArrayList<>();
    for (Invalid v : invalid) {
      out.add(v.unique() ? unique(ctx, v) : plain(v));
    }
    return out;
  }

  private Finding plain(Invalid v) {
    return new Finding(id() + ":" + v.schema() + "." + v.index(), id(), Severity.WARNING,
        new DbObject(v.schema(), v.table(), v.index(), null), title(v),
        Map.of("indisready", v.ready(), "definition", v.definition()), Map.of("size_bytes", v.bytes()), Confidence.MEASURED,
        new Action(IndexDefinition.drop(v.schema(), v.index()) + "\n" + IndexDefinition.concurrently(v.definition()),
            null, true, IndexDefinition.LOCKS, "low"));
  }

  private Finding unique(AdviceContext ctx, Invalid v) throws SQLException {
    String keys = String.join(", ", v.keys());
    String where = (v.nullsNotDistinct() ? "" : v.keys().stream().map(k -> "(" + k + ") IS NOT NULL")
        .reduce((x, y) -> x + " AND " + y).map(w -> " WHERE " + w).orElse(""));
    if (v.predicate() != null) {
      where += (where.isEmpty() ? " WHERE " : " AND ") + "(" + v.predicate() + ")";
    }
    String listQuery = "SELECT " + keys + ", count(*) FROM " + v.qualifiedTable() + where + " GROUP BY " + keys
        + " HAVING count(*) > 1 ORDER BY count(*) DESC;";
    Long duplicates = countDuplicates(ctx, "SELECT count(*) FROM (SELECT 1 FROM " + v.qualifiedTable() + where + " GROUP BY "
        + keys + " HAVING count(*) > 1) d");
    Map<String, Object> evidence = new LinkedHashMap<>();
    evidence.put("indisready", v.ready());
    evidence.put("definition", v.definition());
    evidence.put("duplicate_keys", duplicates);
    evidence.put("duplicates_query", listQuery);
    String id = id() + ":" + v.schema() + "." + v.index();
    DbObject object = new DbObject(v.schema(), v.table(), v.index(), null);
    if (duplicates == null || duplicates > 0) {
      String why = duplicates == null
          ? "pgopt could not count duplicate keys within " + DUPLICATE_CHECK_TIMEOUT + "; check with the query below before rebuilding"
          : duplicates + " key value(s) occur more than once, so a rebuild would fail and leave no unique index";
      return new Finding(id, id(), Severity.WARNING, object, title(v) + "; " + why + ": resolve them first (" + listQuery + ")",
          evidence, Map.of("size_bytes", v.bytes()), Confidence.MEASURED, null);
    }
    // new before old: an INVALID index that is ready still rejects duplicates on writes, so it goes only when its
    // replacement is valid
    String temporary = v.index().length() > 50 ? v.index().substring(0, 50) + "_pgopt_new" : v.index() + "_pgopt_new";
    String create = IndexDefinition.concurrently(v.definition(), temporary);
    String sql = create + "\n" + IndexDefinition.drop(v.schema(), v.index()) + "\nALTER INDEX " + Quoting.ident(v.schema()) + "."
        + Quoting.ident(temporary) + " RENAME TO " + Quoting.ident(v.index()) + ";";
    return new Finding(id, id(), Severity.WARNING, object, title(v) + "; no duplicate keys, so it can be rebuilt",
        evidence, Map.of("size_bytes", v.bytes()), Confidence.MEASURED,
        new Action(sql, null, true, IndexDefinition.LOCKS, "low"));
  }

  private static String title(Invalid v) {
    return "index " + v.qualified() + " is invalid (a failed concurrent build): writes maintain it"
        + (v.ready() ? "" : " partly") + ", no query can use it";
  }

  /** Groups with more than one row, or null when the count did not finish in time. */
  private static Long countDuplicates(AdviceContext ctx, String sql) throws SQLException {
    Connection c = ctx.connection();
    Savepoint sp = c.setSavepoint("pgopt_duplicates");
    try (Statement s = c.createStatement()) {
      s.execute(Sql.OWN_MARK + "SET LOCAL statement_timeout = '" + DUPLICATE_CHECK_TIMEOUT + "'");
      long n = Sql.one(c, sql, rs -> rs.getLong(1));
      c.rollback(sp);
      return n;
    } catch (SQLException e) {
      if (!"57014".equals(e.getSQLState())) {
        throw e;
      }
      c.rollback(sp);
      return null;
    }
  }
}
