package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.Rule;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/** {@code index.invalid}: left by a failed CREATE INDEX CONCURRENTLY; maintained on writes, used by no query. */
public final class IndexInvalidRule implements Rule {
  @Override
  public String id() {
    return "index.invalid";
  }

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    return Sql.list(ctx.connection(), """
        SELECT n.nspname, t.relname, i.relname, format('%I.%I', n.nspname, i.relname), pg_relation_size(i.oid),
               x.indisready, pg_get_indexdef(i.oid)
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
          JOIN pg_namespace n ON n.oid = i.relnamespace
         WHERE NOT x.indisvalid
           AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.oid)""",
        rs -> {
          String qualified = rs.getString(4);
          String definition = rs.getString(7);
          return new Finding(id() + ":" + rs.getString(1) + "." + rs.getString(3), id(), Severity.WARNING,
              new DbObject(rs.getString(1), rs.getString(2), rs.getString(3), null),
              "index " + qualified + " is invalid (a failed concurrent build): writes maintain it"
                  + (rs.getBoolean(6) ? "" : " partly") + ", no query can use it",
              Map.of("indisready", rs.getBoolean(6), "definition", definition), Map.of("size_bytes", rs.getLong(5)),
              Confidence.MEASURED,
              new Action("DROP INDEX CONCURRENTLY " + qualified + ";\n"
                  + IndexDefinitions.concurrently(definition),
                  null, true, "SHARE UPDATE EXCLUSIVE", "low"));
        });
  }

}
