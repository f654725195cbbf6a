package dev.pgopt.advise.rules;

import dev.pgopt.advise.IndexDefinition;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;

/** The valid indexes of user tables, with what decides whether two of them do the same job. */
final class IndexDefinitions {
  private IndexDefinitions() {}

  /**
   * @param keys attribute numbers of the key columns (0 for an expression), then INCLUDE columns after {@code keyCount}
   * @param backsConstraint a primary key, unique or exclusion constraint uses it: it is never proposed for dropping
   */
  record Index(String schema, String table, String name, String qualified, long tableOid, String method, List<String> keys,
               int keyCount, List<String> opclasses, List<String> collations, List<String> options, String expressions,
               String predicate, boolean unique, boolean backsConstraint, long bytes, long scans, String definition,
               List<String> columnNames) {

    List<String> keyColumns() {
      return keys.subList(0, keyCount);
    }

    boolean hasInclude() {
      return keys.size() > keyCount;
    }

    /** Same table, method, columns (keys and INCLUDE), operator classes, collations, sort options, expressions and predicate. */
    boolean sameDefinitionAs(Index o) {
      return tableOid == o.tableOid && method.equals(o.method) && keys.equals(o.keys) && keyCount == o.keyCount
          && opclasses.equals(o.opclasses) && collations.equals(o.collations) && options.equals(o.options)
          && expressions.equals(o.expressions) && predicate.equals(o.predicate);
    }

    String dropSql() {
      return IndexDefinition.drop(schema, name);
    }

    String recreateSql() {
      return IndexDefinition.concurrently(definition);
    }
  }

  static List<Index> read(Connection c) throws SQLException {
    return Sql.list(c, """
        SELECT n.nspname, t.relname, i.relname, format('%I.%I', n.nspname, i.relname), x.indrelid::int8, am.amname,
               x.indkey::text, x.indnkeyatts, x.indclass::text, x.indcollation::text, x.indoption::text,
               coalesce(pg_get_expr(x.indexprs, x.indrelid), ''), coalesce(pg_get_expr(x.indpred, x.indrelid), ''),
               x.indisunique, (x.indisprimary OR x.indisexclusion OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)),
               pg_relation_size(x.indexrelid), coalesce(s.idx_scan, 0), pg_get_indexdef(x.indexrelid),
               (SELECT string_agg(coalesce(a.attname, 'expr'), ',' ORDER BY k.ord)
                  FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
                  LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                 WHERE k.ord <= x.indnkeyatts)
          FROM pg_index x
          JOIN pg_class i ON i.oid = x.indexrelid
          JOIN pg_class t ON t.oid = x.indrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace
          JOIN pg_am am ON am.oid = i.relam
          LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = x.indexrelid
         WHERE x.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
         ORDER BY n.nspname, t.relname, i.relname""",
        rs -> new Index(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5), rs.getString(6),
            words(rs.getString(7)), rs.getInt(8), words(rs.getString(9)), words(rs.getString(10)), words(rs.getString(11)),
            rs.getString(12), rs.getString(13), rs.getBoolean(14), rs.getBoolean(15), rs.getLong(16), rs.getLong(17),
            rs.getString(18), rs.getString(19) == null ? List.of() : Arrays.asList(rs.getString(19).split(","))));
  }

  private static List<String> words(String s) {
    return s == null || s.isBlank() ? List.of() : Arrays.asList(s.trim().split("\\s+"));
  }
}
