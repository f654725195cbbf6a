package dev.pgopt.advise.whatif;

import dev.pgopt.collect.internal.SqlLexer;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runnable text for a pg_stat_statements statement: every {@code $n} replaced by a value from the statistics of the
 * column it is compared with (the most common value for {@code =} and {@code IN}, else the middle histogram bound; for
 * {@code LIKE}, a search for the longest word of that value, {@code '%word%'}; a typed literal's type name,
 * {@code date $1}, is looked past), {@code LIMIT $n} by the typical row
 * count, {@code OFFSET $n} by 0, {@code interval $n} by one unit, and the second parameter of {@code $1 - $2} (a range
 * around a value, {@code BETWEEN $1 - $2 AND $3 + $4}) by 0 ({@code *}, {@code /}: 1), operands of expressions by a
 * neutral number ({@link #operand}). A statement with a parameter
 * that is compared with no column (an expression, a function argument) gets no values: it cannot be run as the
 * application runs it, so it is not measured.
 */
public final class ParameterValues {
  private static final Set<String> BEFORE_VALUE = Set.of("=", "<>", "!=", "<", ">", "<=", ">=", "~~", "~~*", "like", "ilike", "in",
      "between");

  /** Type names pg_stat_statements leaves in front of a typed literal's placeholder ({@code date $1}). */
  private static final Set<String> TYPE_PREFIXES = Set.of("date", "timestamp", "timestamptz", "time", "numeric", "int",
      "integer", "bigint", "text", "uuid");

  private static final Set<String> ARITHMETIC = Set.of("+", "-", "*", "/");
  private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile("-?[0-9]+(\\.[0-9]+)?");

  /** The text to run, or why there is none. */
  public record Bound(String sql, String problem) {}

  /** Where a placeholder's value comes from. */
  public sealed interface Source {
    /**
     * A value fixed by the statement's shape ({@code LIMIT}: the typical row count, {@code OFFSET} 0, margins, operands).
     * {@code inline}: PostgreSQL needs it written into the text, not bound ({@code date $1}, {@code interval $1},
     * {@code extract($1 from ...)}).
     */
    record Fixed(String value, boolean quoted, boolean inline) implements Source {}

    /**
     * A value of {@code column} of {@code table} (schema.table); {@code equality} for =, IN and LIKE; {@code like}: the
     * value is a pattern, and a whole value of the column would be the most selective one an application could send.
     */
    record Column(String table, String column, boolean equality, boolean inArithmetic, boolean inline, boolean like)
        implements Source {}
  }

  /** One placeholder occurrence: its place in the text, its number ({@code $3}: 3) and where its value comes from. */
  public record Site(int start, int end, int number, Source source) {}

  /** Every placeholder's source, or why one has none (then the statement cannot be run as the application runs it). */
  public record Sites(List<Site> sites, String problem) {}

  private final Connection connection;
  private final Map<String, String[]> values = new HashMap<>();

  public ParameterValues(Connection connection) {
    this.connection = connection;
  }

  public Bound bind(String sql, Set<String> tables, long typicalRows) throws SQLException {
    Sites found = sites(sql, tables, typicalRows);
    if (found.problem() != null) {
      return new Bound(null, found.problem());
    }
    StringBuilder out = new StringBuilder(sql.length());
    int copied = 0;
    for (Site site : found.sites()) {
      String value;
      if (site.source() instanceof Source.Fixed f) {
        value = f.quoted() ? "'" + f.value() + "'" : f.value();
      } else {
        Source.Column col = (Source.Column) site.source();
        String[] stats = values.get(col.table() + "." + col.column());
        String v = col.equality() && stats[0] != null ? stats[0] : stats[1] != null ? stats[1] : stats[0];
        if (col.like()) {
          // the proof must not measure an exact match where the application searches: TPC-H Q9 sends
          // p_name LIKE '%green%' (5 % of the parts), and a whole name as the pattern finds one row
          v = "%" + longestWord(v) + "%";
        }
        // a quoted value would be of unknown type, which arithmetic with a number cannot resolve
        value = col.inArithmetic() && NUMBER.matcher(v).matches() ? v : ValueSamples.literal(v);
      }
      out.append(sql, copied, site.start()).append(value);
      copied = site.end();
    }
    return new Bound(out.append(sql.substring(copied)).toString(), null);
  }

  /** The longest run of letters and digits in {@code value} (the first of equal ones); empty when there is none. */
  static String longestWord(String value) {
    String best = "";
    for (String w : value.split("[^\\p{L}\\p{N}]+")) {
      if (w.length() > best.length()) {
        best = w;
      }
    }
    return best;
  }

  /** Where each placeholder of {@code sql} gets its value: a fixed one, or a column of one of {@code tables}. */
  public Sites sites(String sql, Set<String> tables, long typicalRows) throws SQLException {
    List<SqlLexer.Token> t = SqlLexer.lex(sql, true).tokens();
    List<Site> out = new ArrayList<>();
    for (int i = 0; i < t.size(); i++) {
      SqlLexer.Token p = t.get(i);
      if (p.kind() != SqlLexer.Kind.PARAMETER) {
        continue;
      }
      Source source = null;
      String before = i > 0 ? t.get(i - 1).text() : "";
      if (before.equals("limit")) {
        source = new Source.Fixed(Long.toString(Math.max(1, typicalRows)), false, false);
      } else if (before.equals("offset")) {
        source = new Source.Fixed("0", false, false);
      } else if (before.equals("extract")) {
        source = new Source.Fixed("year", true, true); // extract(year from d): any field runs alike
      } else if (before.equals("interval")) {
        // date $1 + interval $2 month: the width of a window, whose unit the text keeps; one unit of it
        source = new Source.Fixed("1", true, true);
      } else if (ARITHMETIC.contains(before) && i > 1 && t.get(i - 2).kind() == SqlLexer.Kind.PARAMETER) {
        // between $4 - $5 and $6 + $7: a range around a value; the value itself
        source = new Source.Fixed(before.equals("+") || before.equals("-") ? "0" : "1", false, false);
      } else {
        String[] column = columnFor(sql, t, TYPE_PREFIXES.contains(before) ? i - 1 : i);
        String table = column == null ? null : tableOf(column[0], column[1], tables);
        if (table != null) {
          boolean equality = column[2].equals("=") || column[2].equals("in") || column[2].contains("like")
              || column[2].startsWith("~~");
          boolean inArithmetic = i + 1 < t.size() && ARITHMETIC.contains(t.get(i + 1).text());
          source = new Source.Column(table, column[0], equality, inArithmetic, TYPE_PREFIXES.contains(before),
              column[2].contains("like") || column[2].startsWith("~~"));
        }
      }
      if (source == null) {
        String operand = operand(t, i);
        source = operand == null ? null : new Source.Fixed(operand, false, false);
      }
      if (source == null) {
        return new Sites(List.of(), p.text() + " is compared with no column whose statistics give a value");
      }
      out.add(new Site(p.start(), p.end(), Integer.parseInt(p.text().substring(1)), source));
    }
    return new Sites(out, null);
  }

  /**
   * A value for a parameter that is an operand, not a comparison: {@code sum(price * ($1 - discount))} and
   * {@code x / $1} get 1, {@code CASE ... THEN $1 ELSE $2} 0, {@code substring(s FROM $1 FOR $2)} 1. Such values
   * shape the results, not which rows are read, so the plan is the application's.
   */
  private static String operand(List<SqlLexer.Token> t, int i) {
    String before = i > 0 ? t.get(i - 1).text() : "";
    String after = i + 1 < t.size() ? t.get(i + 1).text() : "";
    if (before.equals("then") || before.equals("else")) {
      return "0";
    }
    if (ARITHMETIC.contains(before) || ARITHMETIC.contains(after) || before.equals("from") || before.equals("for")) {
      return "1";
    }
    return null;
  }

  /** {column, qualifier or null, operator} for the parameter at {@code i}, or null. */
  private static String[] columnFor(String sql, List<SqlLexer.Token> t, int i) {
    int j = i - 1;
    // IN ($1, $2, ...) and BETWEEN $1 AND $2: back to the keyword
    while (j > 0 && (t.get(j).kind() == SqlLexer.Kind.PARAMETER
        || (t.get(j).text().equals("and") || ARITHMETIC.contains(t.get(j).text())) && j > 1
            && t.get(j - 1).kind() == SqlLexer.Kind.PARAMETER
        || TYPE_PREFIXES.contains(t.get(j).text()) && t.get(j + 1).kind() == SqlLexer.Kind.PARAMETER)) {
      j--;
    }
    // col NOT LIKE $1, col NOT IN ($1, $2)
    int col = j >= 2 && t.get(j - 1).text().equals("not") ? j - 2 : j - 1;
    if (j >= 1 && BEFORE_VALUE.contains(t.get(j).text()) && t.get(col).kind() == SqlLexer.Kind.IDENTIFIER) {
      return withQualifier(sql, t, col, t.get(j).text());
    }
    if (i + 2 < t.size() && t.get(i + 1).kind() == SqlLexer.Kind.OPERATOR && BEFORE_VALUE.contains(t.get(i + 1).text())
        && t.get(i + 2).kind() == SqlLexer.Kind.IDENTIFIER) {
      int c = i + 2;
      if (c + 1 < t.size() && sql.substring(t.get(c).end(), t.get(c + 1).start()).strip().equals(".")) {
        return new String[] {t.get(c + 1).text(), t.get(c).text(), t.get(i + 1).text()};
      }
      return new String[] {t.get(c).text(), null, t.get(i + 1).text()};
    }
    return null;
  }

  private static String[] withQualifier(String sql, List<SqlLexer.Token> t, int c, String operator) {
    String qualifier = c > 0 && t.get(c - 1).kind() == SqlLexer.Kind.IDENTIFIER
        && sql.substring(t.get(c - 1).end(), t.get(c).start()).strip().equals(".") ? t.get(c - 1).text() : null;
    return new String[] {t.get(c).text(), qualifier, operator};
  }

  /**
   * The one table of {@code tables} (or the one {@code qualifier} names) whose statistics have {@code column}, with
   * {most common value, middle histogram bound} cached for it; null when none or several have it.
   */
  private String tableOf(String column, String qualifier, Set<String> tables) throws SQLException {
    boolean named = qualifier != null && tables.stream().anyMatch(x -> x.endsWith("." + qualifier));
    String found = null;
    int matches = 0;
    for (String table : tables) {
      String name = table.substring(table.indexOf('.') + 1);
      if (named && !name.equals(qualifier)) {
        continue;
      }
      String[] s = values.get(table + "." + column);
      if (s == null) {
        List<String[]> rows = Sql.list(connection, "SELECT (most_common_vals::text::text[])[1],"
            + " (histogram_bounds::text::text[])[greatest(1, array_length(histogram_bounds::text::text[], 1) / 2)]"
            + " FROM pg_stats WHERE schemaname = ? AND tablename = ? AND attname = ? ORDER BY inherited DESC LIMIT 1",
            rs -> new String[] {rs.getString(1), rs.getString(2)}, table.substring(0, table.indexOf('.')), name, column);
        s = rows.isEmpty() || rows.get(0)[0] == null && rows.get(0)[1] == null ? new String[0] : rows.get(0);
        values.put(table + "." + column, s);
      }
      if (s.length > 0) {
        matches++;
        found = table;
      }
    }
    return matches == 1 ? found : null;
  }
}
