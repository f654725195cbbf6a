package dev.pgopt.advise.rules;

import dev.pgopt.collect.StatementEntry;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.collect.internal.SqlLexer;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Rows written per hour and table in the same window as the statements' times: the rows that INSERT, UPDATE, DELETE,
 * MERGE and COPY ... FROM statements wrote according to pg_stat_statements, over the hours it has been collecting.
 * The tables' own counters (pg_stat_user_tables) run since their last reset, often the cluster's creation: divided by
 * a window of hours, a bulk load of last month reads as a write storm and makes every index look too costly to keep.
 * Updates count as much as the table's share of non-HOT updates (a HOT update maintains no index), which the table's
 * counters give as a ratio, whatever their window.
 */
final class WindowWrites {
  private static final Set<String> WRITES = Set.of("insert", "update", "delete", "merge", "copy");

  private WindowWrites() {}

  /** The per-table rates, and a note saying where they came from. */
  record Rates(Map<String, Double> perHour, String note) {}

  static Rates of(Connection c, StatementSnapshot snap, double hours) throws SQLException {
    Map<String, double[]> rowsByName = new LinkedHashMap<>(); // name as written -> {rows, update rows}
    int unattributed = 0;
    for (StatementEntry e : snap.entries()) {
      String first = dev.pgopt.collect.SqlText.firstWord(e.query());
      if (!WRITES.contains(first) || e.counters().rows() <= 0) {
        continue;
      }
      String target = target(e.query(), first);
      if (target == null) {
        unattributed++;
        continue;
      }
      double[] r = rowsByName.computeIfAbsent(target, k -> new double[2]);
      r[0] += e.counters().rows();
      if (first.equals("update")) {
        r[1] += e.counters().rows();
      }
    }
    Map<String, Double> perHour = new HashMap<>();
    if (!rowsByName.isEmpty()) {
      List<String> names = new ArrayList<>(rowsByName.keySet());
      record Resolved(String name, String table, double hotShare) {}
      List<Resolved> resolved = Sql.list(c, """
          SELECT x, n.nspname || '.' || t.relname,
                 coalesce(s.n_tup_hot_upd::float8 / nullif(s.n_tup_upd, 0), 0)
            FROM unnest(?::text[]) x
            JOIN pg_class t ON t.oid = to_regclass(x)
            JOIN pg_namespace n ON n.oid = t.relnamespace
            LEFT JOIN pg_stat_user_tables s ON s.relid = t.oid""",
          rs -> new Resolved(rs.getString(1), rs.getString(2), rs.getDouble(3)), (Object) names.toArray(new String[0]));
      for (Resolved r : resolved) {
        double[] rows = rowsByName.get(r.name());
        double indexed = rows[0] - rows[1] * r.hotShare();
        perHour.merge(r.table(), indexed / hours, Double::sum);
      }
    }
    String note = String.format(Locale.ROOT, "index.missing: write rates per table are the rows INSERT, UPDATE, DELETE,"
        + " MERGE and COPY statements wrote in pg_stat_statements' window (%s, %.1f h), the window of the statements'"
        + " times; writes by triggers and functions are not in it", snap.statsReset() == null ? "since the server started"
        : "since " + snap.statsReset(), hours)
        + (unattributed > 0 ? "; " + unattributed + " writing statements could not be attributed to a table" : "");
    return new Rates(perHour, note);
  }

  /** The table a writing statement changes, as written (quoted where it was), or null. */
  static String target(String sql, String first) {
    List<SqlLexer.Token> t = SqlLexer.lex(sql, true).tokens();
    int i = 1;
    if (first.equals("insert") || first.equals("merge")) {
      if (i >= t.size() || !t.get(i).text().equals("into")) {
        return null;
      }
      i++;
    } else if (first.equals("delete")) {
      if (i >= t.size() || !t.get(i).text().equals("from")) {
        return null;
      }
      i++;
    }
    if (i < t.size() && t.get(i).text().equals("only") && t.get(i).kind() == SqlLexer.Kind.IDENTIFIER) {
      i++;
    }
    if (i >= t.size() || t.get(i).kind() != SqlLexer.Kind.IDENTIFIER) {
      return null;
    }
    if (first.equals("copy") && !copiesIn(t, i)) {
      return null;
    }
    SqlLexer.Token name = t.get(i);
    String out = quote(sql, name);
    // schema.table: the lexer does not keep the dot, so read the second name from the text
    int at = name.end();
    while (at < sql.length() && Character.isWhitespace(sql.charAt(at))) {
      at++;
    }
    if (at < sql.length() && sql.charAt(at) == '.') {
      at++;
      while (at < sql.length() && Character.isWhitespace(sql.charAt(at))) {
        at++;
      }
      int end = at;
      if (at < sql.length() && sql.charAt(at) == '"') {
        end = sql.indexOf('"', at + 1);
        while (end > 0 && end + 1 < sql.length() && sql.charAt(end + 1) == '"') {
          end = sql.indexOf('"', end + 2);
        }
        end = end < 0 ? at : end + 1;
      } else {
        while (end < sql.length() && (Character.isLetterOrDigit(sql.charAt(end)) || sql.charAt(end) == '_'
            || sql.charAt(end) == '$')) {
          end++;
        }
      }
      if (end > at) {
        out = out + "." + sql.substring(at, end);
      }
    }
    return out;
  }

  private static boolean copiesIn(List<SqlLexer.Token> t, int from) {
    for (int j = from + 1; j < t.size(); j++) {
      if (t.get(j).text().equals("from")) {
        return true;
      }
      if (t.get(j).text().equals("to")) {
        return false;
      }
    }
    return false;
  }

  private static String quote(String sql, SqlLexer.Token name) {
    // a quoted identifier keeps its quotes, so to_regclass reads it as written
    return sql.charAt(name.start()) == '"' ? sql.substring(name.start(), name.end()) : name.text();
  }
}
