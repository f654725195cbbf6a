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
 * neutral number ({@link #operand}). The parameters of an {@code IN} list get different values (the most common
 * ones in order), as an application sends. A column is also found through an alias the statement gives it
 * ({@code n2.n_name AS nation ... WHERE nation = $1}), and a parameter compared with a built-in function of one column
 * ({@code substring(c_phone FROM 1 FOR 2) IN ($3, ...)}) gets the function's most frequent results over a page sample
 * of the table. A statement with a parameter that is compared with nothing of that kind gets no values: it cannot be
 * run as the application runs it, so it is not measured.
 */
public final class ParameterValues {
  private static final Set<String> BEFORE_VALUE = Set.of("=", "<>", "!=", "<", ">", "<=", ">=", "~~", "~~*", "like", "ilike", "in",
      "between");

  /** Type names pg_stat_statements leaves in front of a typed literal's placeholder ({@code date $1}). */
  private static final Set<String> TYPE_PREFIXES = Set.of("date", "timestamp", "timestamptz", "time", "numeric", "int",
      "integer", "bigint", "text", "uuid");

  private static final Set<String> ARITHMETIC = Set.of("+", "-", "*", "/");

  /**
   * Functions whose results over a column may be computed to find values: built-in, without side effects, cheap. A
   * call to anything else is not evaluated (it could be a user's function, or pg_sleep).
   */
  private static final Set<String> EVALUABLE = Set.of("substring", "substr", "lower", "upper", "left", "right", "trim",
      "btrim", "ltrim", "rtrim", "date_trunc", "date_part", "extract", "abs", "round", "floor", "ceil", "length",
      "char_length", "split_part");

  /** Words the SQL-standard call syntax puts between a function's arguments. */
  private static final Set<String> CALL_WORDS = Set.of("from", "for", "leading", "trailing", "both");

  /** Rows a function's results are computed over: a page sample of about this many rows. */
  private static final int EXPRESSION_SAMPLE_ROWS = 30_000;
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
     * value is a pattern, and a whole value of the column would be the most selective one an application could send;
     * {@code rank}: the place in an IN list (0 for the first, and for any other comparison), whose most common value it
     * takes.
     */
    record Column(String table, String column, boolean equality, boolean inArithmetic, boolean inline, boolean like,
                  int rank, String operator) implements Source {}

    /** The {@code rank}-th most frequent of an expression's results ({@code rank} 0 for =, the list position for IN). */
    record Computed(List<String> frequent, int rank) implements Source {}
  }

  /** One placeholder occurrence: its place in the text, its number ({@code $3}: 3) and where its value comes from. */
  public record Site(int start, int end, int number, Source source) {}

  /** Every placeholder's source, or why one has none (then the statement cannot be run as the application runs it). */
  public record Sites(List<Site> sites, String problem) {}

  private final Connection connection;
  /** schema.table.column to its statistics, or null when it has none. */
  private final Map<String, ColumnStats> values = new HashMap<>();
  /** Evaluated expression text to its results, most frequent first. */
  private final Map<String, List<String>> computed = new HashMap<>();

  /** pg_stats' most common values (most frequent first) and middle histogram bound of a column. */
  private record ColumnStats(List<String> common, List<Double> freqs, String middle, String low, String high) {}

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
      out.append(sql, copied, site.start()).append(value(site, null));
      copied = site.end();
    }
    return new Bound(out.append(sql.substring(copied)).toString(), null);
  }

  /**
   * The statement as an application prepares it: placeholders PostgreSQL needs written into the text ({@code date $1},
   * {@code interval $1}) written in, the others renumbered {@code $1..$k}; and the calls to execute it with, each
   * standing for a share of the calls. Where a parameter is compared with {@code =} to a column with most common values,
   * the calls are its {@value ValueSamples#MOST_COMMON} most common values, each as often as it occurs in the rows, and
   * an ordinary value (the middle histogram bound) for the rest: the mix a plan cache sees.
   *
   * @param sql the text to PREPARE; null when there is none ({@code problem} says why)
   * @param arguments how many parameters the prepared text has
   */
  public record Prepared(String sql, int arguments, List<Call> calls, String problem) {}

  /**
   * One call: its arguments as SQL literals, in order; the share of calls it stands for; what its varied value is, for
   * evidence (by rank and share, never the value itself: values are data).
   */
  public record Call(List<String> arguments, double weight, String described) {}

  public Prepared prepared(String sql, Set<String> tables, long typicalRows) throws SQLException {
    Sites found = sites(sql, tables, typicalRows);
    if (found.problem() != null) {
      return new Prepared(null, 0, List.of(), found.problem());
    }
    Map<Integer, Integer> renumbered = new java.util.LinkedHashMap<>();
    Map<Integer, Site> first = new HashMap<>();
    StringBuilder out = new StringBuilder(sql.length());
    int copied = 0;
    for (Site site : found.sites()) {
      out.append(sql, copied, site.start());
      if (inline(site.source())) {
        out.append(value(site, null));
      } else {
        out.append('$').append(renumbered.computeIfAbsent(site.number(), n -> renumbered.size() + 1));
        first.putIfAbsent(site.number(), site);
      }
      copied = site.end();
    }
    out.append(sql.substring(copied));
    List<Integer> order = new ArrayList<>(renumbered.keySet());
    // the parameter whose values the calls vary: the first = against a column that has most common values
    Integer varied = null;
    ColumnStats stats = null;
    for (int n : order) {
      if (first.get(n).source() instanceof Source.Column col && col.equality() && !col.like() && col.rank() == 0) {
        ColumnStats st = values.get(col.table() + "." + col.column());
        if (st != null && !st.common().isEmpty() && st.freqs().size() == st.common().size()) {
          varied = n;
          stats = st;
          break;
        }
      }
    }
    // a range parameter (created_at < $2): the middle of its histogram, and the widest range the histogram allows (an
    // application's created_at < now() keeps nearly every row), each for half of the ordinary calls
    Integer ranged = null;
    String wide = null;
    for (int n : order) {
      if (first.get(n).source() instanceof Source.Column col && !col.equality() && col.operator().matches("[<>]=?")) {
        ColumnStats st = values.get(col.table() + "." + col.column());
        String bound = st == null ? null : col.operator().startsWith("<") ? st.high() : st.low();
        if (bound != null && !bound.equals(st.middle())) {
          ranged = n;
          wide = bound;
          break;
        }
      }
    }
    List<Call> calls = new ArrayList<>();
    boolean lastIsOrdinary = true;
    if (varied == null) {
      calls.add(new Call(arguments(order, first, Map.of()), 1, "one value per parameter"));
    } else {
      Source.Column col = (Source.Column) first.get(varied).source();
      String what = col.table() + "." + col.column();
      int hot = Math.min(ValueSamples.MOST_COMMON, stats.common().size());
      double rest = 1;
      for (int k = 0; k < hot; k++) {
        double f = stats.freqs().get(k);
        rest -= f;
        calls.add(new Call(arguments(order, first, Map.of(varied, stats.common().get(k))), f, String.format(java.util.Locale.ROOT,
            "the %s most common value of %s (%.1f %% of the rows)", ordinal(k + 1), what, 100 * f)));
      }
      String ordinary = stats.middle() != null ? stats.middle() : hot < stats.common().size() ? stats.common().get(hot) : null;
      lastIsOrdinary = ordinary != null && rest > 1e-6;
      if (lastIsOrdinary) {
        calls.add(new Call(arguments(order, first, Map.of(varied, ordinary)), rest,
            String.format(java.util.Locale.ROOT, "an ordinary value of %s (the other %.1f %%)", what, 100 * rest)));
      }
    }
    if (ranged != null && lastIsOrdinary) {
      // half of the ordinary calls with the widest range
      Call ordinary = calls.remove(calls.size() - 1);
      Source.Column col = (Source.Column) first.get(ranged).source();
      calls.add(new Call(ordinary.arguments(), ordinary.weight() / 2, ordinary.described()));
      List<String> widened = new ArrayList<>(ordinary.arguments());
      widened.set(order.indexOf(ranged), value(first.get(ranged), wide));
      calls.add(new Call(widened, ordinary.weight() / 2, ordinary.described() + ", with " + col.table() + "." + col.column()
          + " " + col.operator() + " the histogram's " + (col.operator().startsWith("<") ? "highest" : "lowest") + " bound"));
    }
    double sum = calls.stream().mapToDouble(Call::weight).sum();
    calls.replaceAll(c -> new Call(c.arguments(), c.weight() / sum, c.described()));
    return new Prepared(out.toString(), order.size(), calls, null);
  }

  private static String ordinal(int n) {
    return switch (n) {
      case 1 -> "1st";
      case 2 -> "2nd";
      case 3 -> "3rd";
      default -> n + "th";
    };
  }

  private List<String> arguments(List<Integer> order, Map<Integer, Site> first, Map<Integer, String> overrides) {
    List<String> out = new ArrayList<>();
    for (int n : order) {
      out.add(value(first.get(n), overrides.get(n)));
    }
    return out;
  }

  private static boolean inline(Source source) {
    return source instanceof Source.Fixed f && f.inline() || source instanceof Source.Column c && c.inline();
  }

  /** The literal a placeholder takes; {@code override}, when not null, in place of the column value it would take. */
  private String value(Site site, String override) {
    if (site.source() instanceof Source.Fixed f) {
      return f.quoted() ? "'" + f.value() + "'" : f.value();
    }
    if (site.source() instanceof Source.Computed e) {
      return ValueSamples.literal(e.frequent().get(e.rank() % e.frequent().size()));
    }
    Source.Column col = (Source.Column) site.source();
    ColumnStats stats = values.get(col.table() + "." + col.column());
    String common = stats.common().isEmpty() ? null : stats.common().get(col.rank() % stats.common().size());
    String v = override != null ? override : col.equality() && common != null ? common : stats.middle() != null ? stats.middle() : common;
    if (col.like()) {
      // the proof must not measure an exact match where the application searches: TPC-H Q9 sends
      // p_name LIKE '%green%' (5 % of the parts), and a whole name as the pattern finds one row
      v = "%" + longestWord(v) + "%";
    }
    // a quoted value would be of unknown type, which arithmetic with a number cannot resolve
    return col.inArithmetic() && NUMBER.matcher(v).matches() ? v : ValueSamples.literal(v);
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
        int at = TYPE_PREFIXES.contains(before) ? i - 1 : i;
        String[] column = columnFor(sql, t, at);
        String table = column == null ? null : tableOf(column[0], column[1], tables);
        if (table == null && column != null && column[1] == null) {
          String[] aliased = aliased(sql, t, column[0]);
          if (aliased != null) {
            table = tableOf(aliased[0], aliased[1], tables);
            column = new String[] {aliased[0], aliased[1], column[2]};
          }
        }
        if (table != null) {
          boolean equality = column[2].equals("=") || column[2].equals("in") || column[2].contains("like")
              || column[2].startsWith("~~");
          boolean inArithmetic = i + 1 < t.size() && ARITHMETIC.contains(t.get(i + 1).text());
          source = new Source.Column(table, column[0], equality, inArithmetic, TYPE_PREFIXES.contains(before),
              column[2].contains("like") || column[2].startsWith("~~"), column[2].equals("in") ? listRank(t, at) : 0, column[2]);
        } else if (column == null) {
          source = computed(sql, t, at, out, tables);
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

  /** How many parameters of its IN list come before the one at {@code i}. */
  private static int listRank(List<SqlLexer.Token> t, int i) {
    int rank = 0;
    for (int k = i - 1; k > 0 && (t.get(k).kind() == SqlLexer.Kind.PARAMETER || TYPE_PREFIXES.contains(t.get(k).text())); k--) {
      if (t.get(k).kind() == SqlLexer.Kind.PARAMETER) {
        rank++;
      }
    }
    return rank;
  }

  /**
   * {column, qualifier or null} that the statement names {@code alias} for ({@code n2.n_name AS nation}, the alias
   * of a derived table's column that an outer query compares), or null when it names none or several.
   */
  private static String[] aliased(String sql, List<SqlLexer.Token> t, String alias) {
    String[] found = null;
    for (int a = 1; a + 1 < t.size(); a++) {
      if (!t.get(a).text().equals("as") || !t.get(a + 1).text().equals(alias) || t.get(a + 1).kind() != SqlLexer.Kind.IDENTIFIER
          || t.get(a - 1).kind() != SqlLexer.Kind.IDENTIFIER || !sql.substring(t.get(a - 1).end(), t.get(a).start()).isBlank()) {
        continue;
      }
      String[] here = withQualifier(sql, t, a - 1, null);
      if (found != null && !java.util.Arrays.equals(found, here)) {
        return null;
      }
      found = here;
    }
    return found == null ? null : new String[] {found[0], found[1]};
  }

  /**
   * The parameter at {@code i} compared ({@code =}, {@code IN}) with a call of an {@link #EVALUABLE} function on one
   * column of one table, whose other arguments are constants or parameters already given fixed values: the call's most
   * frequent results over a page sample of the table. Null when the comparison is of another shape.
   *
   * <p>The call is rebuilt from the statement's tokens, never copied: the column becomes a quoted reference to the
   * sampled table, a parameter its value, and the text between tokens may hold only parentheses, commas, dots, digits
   * and literals of letters ({@code date_trunc('day', ...)}; no comment or cast), so nothing of the statement but the
   * function and its plain arguments runs.
   */
  private Source computed(String sql, List<SqlLexer.Token> t, int i, List<Site> bound, Set<String> tables) throws SQLException {
    int op = i - 1;
    while (op > 0 && t.get(op).kind() == SqlLexer.Kind.PARAMETER) {
      op--;
    }
    if (op < 1 || !(t.get(op).text().equals("=") || t.get(op).text().equals("in"))) {
      return null;
    }
    // back from the operator to the '(' that matches the ')' before it, through the text between tokens
    int depth = 0;
    int first = -1;
    int close = -1;
    for (int k = op - 1; k >= 0 && first < 0; k--) {
      String gap = sql.substring(t.get(k).end(), t.get(k + 1).start());
      if (!gap.matches("(?:[\\s(),.0-9]|'[A-Za-z_ ]*')*")) {
        return null;
      }
      for (int g = gap.length() - 1; g >= 0; g--) {
        char ch = gap.charAt(g);
        if (ch == ')') {
          if (depth == 0 && close < 0) {
            close = t.get(k).end() + g;
          }
          depth++;
        } else if (ch == '(') {
          depth--;
          if (depth == 0) {
            if (!gap.substring(0, g).isBlank()) {
              return null;
            }
            first = k;
            break;
          }
        }
      }
      if (close < 0 && k == op - 1) {
        return null; // nothing closes before the operator: not a call
      }
    }
    if (first < 0 || depth != 0) {
      return null;
    }
    String column = null;
    String qualifier = null;
    StringBuilder call = new StringBuilder();
    for (int k = first; k < op; k++) {
      SqlLexer.Token tk = t.get(k);
      String next = k + 1 < op ? sql.substring(tk.end(), t.get(k + 1).start()) : sql.substring(tk.end(), close + 1);
      boolean calls = next.stripLeading().startsWith("(");
      if (tk.kind() == SqlLexer.Kind.PARAMETER) {
        Site site = bound.stream().filter(x -> x.start() == tk.start()).findFirst().orElse(null);
        if (site == null || !(site.source() instanceof Source.Fixed f) || f.quoted() || !NUMBER.matcher(f.value()).matches()) {
          return null;
        }
        call.append(f.value());
      } else if (tk.kind() == SqlLexer.Kind.OPERATOR) {
        if (!ARITHMETIC.contains(tk.text())) {
          return null;
        }
        call.append(' ').append(tk.text()).append(' ');
      } else if (tk.kind() != SqlLexer.Kind.IDENTIFIER) {
        return null;
      } else if (calls) {
        if (!EVALUABLE.contains(tk.text())) {
          return null;
        }
        call.append(tk.text());
      } else if (CALL_WORDS.contains(tk.text())) {
        call.append(' ').append(tk.text()).append(' ');
      } else if (next.strip().equals(".") && k + 1 < op && t.get(k + 1).kind() == SqlLexer.Kind.IDENTIFIER) {
        if (qualifier != null || column != null) {
          return null;
        }
        qualifier = tk.text();
        continue; // the column follows; its reference is written then
      } else {
        if (column != null && !(column.equals(tk.text()))) {
          return null;
        }
        column = tk.text();
        call.append("x.").append(dev.pgopt.connect.Quoting.ident(column));
      }
      call.append(next);
    }
    if (column == null) {
      return null;
    }
    String table = tableOf(column, qualifier, tables);
    if (table == null) {
      return null;
    }
    String expression = call.toString();
    List<String> frequent = frequent(table, expression);
    if (frequent.isEmpty()) {
      return null;
    }
    return new Source.Computed(frequent, t.get(op).text().equals("in") ? i - op - 1 : 0);
  }

  /** The most frequent non-null results of {@code expression} (over {@code x}, the table) in a page sample. */
  private List<String> frequent(String table, String expression) throws SQLException {
    String key = table + " " + expression;
    List<String> known = computed.get(key);
    if (known != null) {
      return known;
    }
    double rows = Sql.<Double>one(connection, "SELECT greatest(reltuples, 0)::float8 FROM pg_class WHERE oid = to_regclass(?)",
        rs -> rs.getDouble(1), table);
    double percent = rows <= EXPRESSION_SAMPLE_ROWS ? 100 : Math.max(0.0001, 100.0 * EXPRESSION_SAMPLE_ROWS / rows);
    int dot = table.indexOf('.');
    String sql = Sql.OWN_MARK + "SELECT v FROM (SELECT (" + expression + ")::text AS v FROM "
        + dev.pgopt.connect.Quoting.ident(table.substring(0, dot)) + "." + dev.pgopt.connect.Quoting.ident(table.substring(dot + 1))
        + " x TABLESAMPLE SYSTEM (" + String.format(java.util.Locale.ROOT, "%.6f", percent) + ") REPEATABLE (7)) s"
        + " WHERE v IS NOT NULL GROUP BY v ORDER BY count(*) DESC, v LIMIT 100";
    java.sql.Savepoint sp = connection.getAutoCommit() ? null : connection.setSavepoint("pgopt_computed");
    List<String> result;
    try {
      result = Sql.list(connection, sql, rs -> rs.getString(1));
    } catch (SQLException e) {
      // a call the server will not evaluate (wrong argument types): no values, as for any other expression
      if (sp != null) {
        connection.rollback(sp);
      }
      result = List.of();
    } finally {
      if (sp != null) {
        connection.releaseSavepoint(sp);
      }
    }
    computed.put(key, result);
    return result;
  }

  private static List<Double> doubles(java.sql.Array a) throws SQLException {
    List<Double> out = new ArrayList<>();
    if (a != null) {
      for (Object o : (Object[]) a.getArray()) {
        out.add(o == null ? 0 : ((Number) o).doubleValue());
      }
    }
    return out;
  }

  private static List<String> strings(java.sql.Array a) throws SQLException {
    if (a == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (Object o : (Object[]) a.getArray()) {
      if (o != null) {
        out.add(o.toString());
      }
    }
    return out;
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
    // a ')' between the column and the operator: the column is a function's argument, lower(email) = $1
    if (j >= 1 && BEFORE_VALUE.contains(t.get(j).text()) && t.get(col).kind() == SqlLexer.Kind.IDENTIFIER
        && sql.substring(t.get(col).end(), t.get(j).start()).indexOf(')') < 0) {
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
   * its most common values and middle histogram bound cached; null when none or several have it.
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
      String cacheKey = table + "." + column;
      if (!values.containsKey(cacheKey)) {
        List<ColumnStats> rows = Sql.list(connection, "SELECT most_common_vals::text::text[], most_common_freqs::float8[],"
            + " (histogram_bounds::text::text[])[greatest(1, array_length(histogram_bounds::text::text[], 1) / 2)],"
            + " (histogram_bounds::text::text[])[1],"
            + " (histogram_bounds::text::text[])[array_length(histogram_bounds::text::text[], 1)]"
            + " FROM pg_stats WHERE schemaname = ? AND tablename = ? AND attname = ? ORDER BY inherited DESC LIMIT 1",
            rs -> new ColumnStats(strings(rs.getArray(1)), doubles(rs.getArray(2)), rs.getString(3), rs.getString(4),
                rs.getString(5)),
            table.substring(0, table.indexOf('.')), name, column);
        values.put(cacheKey, rows.isEmpty() || rows.get(0).common().isEmpty() && rows.get(0).middle() == null ? null : rows.get(0));
      }
      if (values.get(cacheKey) != null) {
        matches++;
        found = table;
      }
    }
    return matches == 1 ? found : null;
  }
}
