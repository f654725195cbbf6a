package dev.pgopt.advise.whatif;

import dev.pgopt.collect.SqlText;
import dev.pgopt.collect.internal.SqlLexer;
import dev.pgopt.connect.Sql;
import java.sql.Array;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Representative values for a statement's parameters, so hot keys count. A generic plan costs every call as the
 * average key: for {@code WHERE tenant = $1 ORDER BY created_at DESC LIMIT 50} on a table where one tenant owns a third
 * of the rows, the average tenant's few rows sort in no time and an index on {@code tenant} alone looks as good as one
 * that returns them in order, while the calls for the hot tenant sort 60,000 rows. So a statement that compares a
 * parameter with {@code =} to a column whose most common values (pg_stats) are well above the column's average is also
 * costed with its hot values among the {@value #MOST_COMMON} most common, each weighted by its share of the rows (calls
 * are assumed to follow the rows: the tenant with a third of the data makes a third of the calls); the generic plan
 * keeps the rest of the weight. Only the hottest column's parameter is replaced; the others stay generic. The values are data: findings name them by rank, never by value.
 */
public final class ValueSamples {
  /** How many of a column's most common values are costed. */
  static final int MOST_COMMON = 3;
  /**
   * A value is hot when it is this many times as frequent as the column's other values on average (where every value
   * is a common one, a status column, 1.5 times the common values' mean), and at least a tenth as frequent as the
   * hottest. Columns without a hot value keep the generic plan alone, which costs them correctly and spares the plans.
   */
  static final double SKEW = 3.0;
  /** Longer values are not inlined (pg_stats leaves out values over 1 kB anyway). */
  private static final int MAX_VALUE_CHARS = 200;

  /** A variant of the statement with one parameter replaced by a literal, and the share of calls it stands for. */
  public record Sample(String sql, double weight) {}

  /**
   * @param samples the variants besides the generic plan, which keeps {@code 1 - sum of weights}
   * @param described what was costed, for notes and evidence
   * @param source where the values come from
   */
  public record Plan(List<Sample> samples, String described, Source source) {
    public static final Plan GENERIC = new Plan(List.of(), "the generic plan", Source.GENERIC);

    /** Whether the values are constants pg_qualstats saw the statement run with. */
    public boolean observed() {
      return source == Source.OBSERVED_CONSTANTS;
    }

    public double genericWeight() {
      return 1 - samples.stream().mapToDouble(Sample::weight).sum();
    }
  }

  /** Where a plan's values come from. */
  public enum Source { GENERIC, HOT_VALUES, RANGE_QUARTILES, OBSERVED_CONSTANTS }

  /** @param hot the share from which a value counts as hot */
  private record Stats(List<String> values, double[] freqs, double hot) {}

  /**
   * A column of a table: whether it exists there, its statistics when it is skewed (else null), and the values at the
   * quarter, half and three quarters of its histogram (empty without one).
   */
  private record Column(boolean exists, Stats skewed, List<String> quartiles) {}

  private final Connection connection;
  private final Map<String, Column> columns = new HashMap<>();

  public ValueSamples(Connection connection) {
    this.connection = connection;
  }

  /** The samples for a statement that reads {@code tables} (schema.name), or {@link Plan#GENERIC}. */
  public Plan of(String sql, Set<String> tables) throws SQLException {
    return of(sql, tables, List.of());
  }

  /**
   * As {@link #of(String, Set)}, but where pg_qualstats saw the statement compare a column with one constant most of
   * the time ({@code observed}), that constant is bound instead, with its share of the calls: the application sends it,
   * so it is no guess, and a partial index on it can serve those calls (a generic plan never uses one).
   */
  public Plan of(String sql, Set<String> tables, List<ObservedConstants.Constant> observed) throws SQLException {
    if (!SqlText.startsAsQuery(sql) || SqlText.maxParameter(sql) == 0) {
      return Plan.GENERIC;
    }
    List<Comparison> comparisons = comparisons(sql);
    if (!observed.isEmpty()) {
      Plan bound = observedConstants(sql, tables, comparisons, observed);
      if (bound != null) {
        return bound;
      }
    }
    String bestParameter = null;
    String bestColumn = null;
    Stats best = null;
    for (Comparison k : comparisons) {
      Stats s = resolve(k.column(), k.qualifiedBy(), tables);
      if (s != null && (best == null || s.freqs()[0] > best.freqs()[0])) {
        best = s;
        bestParameter = k.parameter();
        bestColumn = k.column();
      }
    }
    if (best == null) {
      return rangeQuartiles(sql, tables);
    }
    List<Sample> samples = new ArrayList<>();
    double share = 0;
    for (int k = 0; k < Math.min(MOST_COMMON, best.values().size()); k++) {
      String value = best.values().get(k);
      if (best.freqs()[k] < best.hot()) {
        break;
      }
      if (value == null || value.length() > MAX_VALUE_CHARS) {
        continue;
      }
      samples.add(new Sample(replace(sql, bestParameter, literal(value)), best.freqs()[k]));
      share += best.freqs()[k];
    }
    if (samples.isEmpty()) {
      return Plan.GENERIC;
    }
    return new Plan(samples, String.format(Locale.ROOT, "the generic plan and %s of %s (%.1f %% of its rows, weighted by"
        + " their shares)", samples.size() == 1 ? "the most common value" : "the " + samples.size() + " most common values",
        bestColumn, share * 100), Source.HOT_VALUES);
  }

  /** {@code column = $n} (or {@code $n = column}) in the text; {@code qualifiedBy} the table or alias before a dot. */
  private record Comparison(String column, String qualifiedBy, String parameter) {}

  private static final Set<String> EQUALITY = Set.of("=");
  private static final Set<String> RANGE = Set.of("<", "<=", ">", ">=");

  private static List<Comparison> comparisons(String sql) {
    return comparisons(sql, EQUALITY);
  }

  private static List<Comparison> comparisons(String sql, Set<String> operators) {
    List<SqlLexer.Token> t = SqlLexer.lex(sql, true).tokens();
    List<Comparison> out = new ArrayList<>();
    for (int i = 0; i + 2 < t.size(); i++) {
      SqlLexer.Token a = t.get(i);
      SqlLexer.Token op = t.get(i + 1);
      SqlLexer.Token b = t.get(i + 2);
      if (op.kind() != SqlLexer.Kind.OPERATOR || !operators.contains(op.text()) || !blank(sql, a.end(), op.start())
          || !blank(sql, op.end(), b.start())) {
        continue;
      }
      if (a.kind() == SqlLexer.Kind.IDENTIFIER && b.kind() == SqlLexer.Kind.PARAMETER && !operatorAfter(t, i + 2)) {
        String qualifiedBy = i > 0 && t.get(i - 1).kind() == SqlLexer.Kind.IDENTIFIER && dotBetween(sql, t.get(i - 1), a)
            ? t.get(i - 1).text() : null;
        out.add(new Comparison(a.text(), qualifiedBy, b.text()));
      } else if (a.kind() == SqlLexer.Kind.PARAMETER && b.kind() == SqlLexer.Kind.IDENTIFIER
          && !(i > 0 && t.get(i - 1).kind() == SqlLexer.Kind.OPERATOR)) {
        int last = i + 2;
        String qualifiedBy = null;
        if (i + 3 < t.size() && t.get(i + 3).kind() == SqlLexer.Kind.IDENTIFIER && dotBetween(sql, b, t.get(i + 3))) {
          qualifiedBy = b.text();
          last = i + 3;
        }
        if (!operatorAfter(t, last)) {
          out.add(new Comparison(t.get(last).text(), qualifiedBy, a.text()));
        }
      }
    }
    return out;
  }

  /**
   * A range a parameter bounds ({@code created_at < $2}) is costed by the generic plan as a third of the rows, whatever
   * the calls ask for. Where no hot key decides the plans, the first such range is also costed at the column's
   * quartiles from its histogram (pg_stats), a quarter of the weight each, so that a range that reads most of the table
   * (a cursor near the newest rows) counts as well as one that reads little.
   */
  private Plan rangeQuartiles(String sql, Set<String> tables) throws SQLException {
    for (Comparison k : comparisons(sql, RANGE)) {
      String table = tableOf(k.column(), k.qualifiedBy(), tables);
      List<String> q = table == null ? List.of() : column(table, k.column()).quartiles();
      if (q.size() < 3 || q.stream().anyMatch(v -> v == null || v.length() > MAX_VALUE_CHARS)) {
        continue;
      }
      List<Sample> samples = new ArrayList<>();
      for (String v : q) {
        samples.add(new Sample(replace(sql, k.parameter(), literal(v)), 0.25));
      }
      return new Plan(samples, "the generic plan and the quartiles of " + k.column() + "'s histogram (pg_stats) for its"
          + " range, a quarter each", Source.RANGE_QUARTILES);
    }
    return Plan.GENERIC;
  }

  /** Every observed constant bound to the parameter its column is compared with; null when none could be placed. */
  private Plan observedConstants(String sql, Set<String> tables, List<Comparison> comparisons,
      List<ObservedConstants.Constant> observed) throws SQLException {
    String bound = sql;
    double share = 1;
    List<String> described = new ArrayList<>();
    Set<String> done = new java.util.HashSet<>();
    for (Comparison k : comparisons) {
      String table = tableOf(k.column(), k.qualifiedBy(), tables);
      for (ObservedConstants.Constant o : observed) {
        if (table != null && table.equals(o.schema() + "." + o.table()) && k.column().equals(o.column())
            && done.add(k.parameter())) {
          bound = replace(bound, k.parameter(), o.literal());
          share = Math.min(share, o.share());
          described.add(o.column() + " = " + o.literal());
        }
      }
    }
    if (described.isEmpty()) {
      return null;
    }
    return new Plan(List.of(new Sample(bound, share)), String.format(Locale.ROOT, "the constants it ran with in %.0f %% of"
        + " the runs pg_qualstats sampled (%s), and the generic plan for the rest", share * 100, String.join(", ", described)), Source.OBSERVED_CONSTANTS);
  }

  private static boolean dotBetween(String sql, SqlLexer.Token qualifier, SqlLexer.Token name) {
    return sql.substring(qualifier.end(), name.start()).strip().equals(".");
  }

  private static boolean blank(String sql, int from, int to) {
    return sql.substring(from, to).isBlank();
  }

  /** {@code col = $1 + 1} compares with an expression, not with the parameter's value. */
  private static boolean operatorAfter(List<SqlLexer.Token> t, int i) {
    return i + 1 < t.size() && t.get(i + 1).kind() == SqlLexer.Kind.OPERATOR;
  }

  /** The column's statistics when it is skewed and belongs to exactly one of the tables (or to the one named). */
  private Stats resolve(String column, String qualifiedBy, Set<String> tables) throws SQLException {
    String table = tableOf(column, qualifiedBy, tables);
    return table == null ? null : column(table, column).skewed();
  }

  /** The one table of {@code tables} (or the one named) that has the column, or null. */
  private String tableOf(String column, String qualifiedBy, Set<String> tables) throws SQLException {
    boolean named = qualifiedBy != null && tables.stream().anyMatch(x -> x.endsWith("." + qualifiedBy));
    String found = null;
    for (String table : tables) {
      int dot = table.indexOf('.');
      if (named && !table.substring(dot + 1).equals(qualifiedBy)) {
        continue;
      }
      if (column(table, column).exists()) {
        if (found != null) {
          return null;
        }
        found = table;
      }
    }
    return found;
  }

  private Column column(String table, String column) throws SQLException {
    Column c = columns.get(table + "." + column);
    if (c == null) {
      int dot = table.indexOf('.');
      c = load(table.substring(0, dot), table.substring(dot + 1), column);
      columns.put(table + "." + column, c);
    }
    return c;
  }

  private Column load(String schema, String table, String column) throws SQLException {
    List<Column> rows = Sql.list(connection, "SELECT s.most_common_vals::text::text[] AS vals, s.most_common_freqs AS freqs,"
        + " s.histogram_bounds::text::text[] AS bounds, s.n_distinct, s.null_frac, c.reltuples,"
        + " t.typcategory = 'A' AS array_type"
        + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        + " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        + " JOIN pg_type t ON t.oid = a.atttypid"
        + " LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname"
        + " WHERE n.nspname = ? AND c.relname = ? AND a.attname = ? ORDER BY s.inherited DESC NULLS LAST LIMIT 1", rs -> {
          Array vals = rs.getArray("vals");
          Array freqs = rs.getArray("freqs");
          Array bounds = rs.getArray("bounds");
          List<String> quartiles = new ArrayList<>();
          if (bounds != null && !rs.getBoolean("array_type")) {
            String[] b = (String[]) bounds.getArray();
            if (b.length >= 5) {
              for (int k = 1; k <= 3; k++) {
                quartiles.add(b[k * (b.length - 1) / 4]);
              }
            }
          }
          if (vals == null || freqs == null || rs.getBoolean("array_type")) {
            return new Column(true, null, quartiles);
          }
          String[] v = (String[]) vals.getArray();
          Float[] f = (Float[]) freqs.getArray();
          double[] fr = new double[f.length];
          double sum = 0;
          for (int k = 0; k < f.length; k++) {
            fr[k] = f[k];
            sum += f[k];
          }
          double nDistinct = rs.getDouble("n_distinct");
          double distinct = nDistinct >= 0 ? nDistinct : -nDistinct * Math.max(0, rs.getDouble("reltuples"));
          double others = distinct - f.length;
          double rest = 1 - rs.getDouble("null_frac") - sum;
          // every value is a common one (a status column): compare the first with the common values' mean
          double typical = others >= 1 && rest > 0 ? rest / others : sum / f.length;
          // ... and at least a tenth of the hottest: ANALYZE's sample can overestimate the number of rare values, which
          // makes an ordinary value look several times the average
          double hot = Math.max((others >= 1 && rest > 0 ? SKEW : 1.5) * typical, f.length > 0 ? fr[0] / 10 : 0);
          return new Column(true, f.length > 0 && fr[0] >= hot ? new Stats(List.of(v), fr, hot) : null, quartiles);
        }, schema, table, column);
    return rows.isEmpty() ? new Column(false, null, List.of()) : rows.get(0);
  }

  /**
   * The value as a dollar-quoted literal: no escaping rule of the session (standard_conforming_strings) applies inside
   * one, and the tag is chosen so that the value cannot end it early, whatever the data holds.
   */
  static String literal(String value) {
    for (int n = 0; ; n++) {
      String tag = n == 0 ? "$pgopt$" : "$pgopt" + n + "$";
      if ((value + tag).indexOf(tag) == value.length()) {
        return tag + value + tag;
      }
    }
  }

  /** Every occurrence of the parameter replaced (the server would have bound the same value to each). */
  private static String replace(String sql, String parameter, String literal) {
    StringBuilder out = new StringBuilder(sql.length() + literal.length());
    int copied = 0;
    for (SqlLexer.Token tk : SqlLexer.lex(sql, true).tokens()) {
      if (tk.kind() == SqlLexer.Kind.PARAMETER && tk.text().equals(parameter)) {
        out.append(sql, copied, tk.start()).append(literal);
        copied = tk.end();
      }
    }
    return out.append(sql.substring(copied)).toString();
  }
}
