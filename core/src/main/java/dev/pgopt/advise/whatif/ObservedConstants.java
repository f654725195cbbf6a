package dev.pgopt.advise.whatif;

import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The constants statements compare columns with, as pg_qualstats saw them run. pg_stat_statements stores
 * {@code WHERE status = 'pending' AND owner = 42} as {@code status = $1 AND owner = $2}, so the advisor cannot tell a
 * status the application always asks for (a partial index {@code ON jobs (owner) WHERE status = 'pending'} serves every
 * call, at a fraction of a full index's size) from a key that differs per call. pg_qualstats keeps, per statement, each
 * equality's constant and how often it ran with it. A constant is kept when it stands for at least {@value #MIN_SHARE}
 * of the statement's sampled runs of that comparison (and at least {@value #MIN_RUNS} runs), and its text is a plain
 * literal: it is bound into the statement's what-if plans with that share of the calls.
 */
public final class ObservedConstants {
  /** A constant stands for the statement when at least this share of its runs used it. */
  static final double MIN_SHARE = 0.5;
  /** Fewer sampled runs say nothing about what the application sends. */
  static final long MIN_RUNS = 10;
  /**
   * pg_qualstats cuts its text at 80 bytes; a longer literal may be cut mid-way. Only a single quoted literal with an
   * optional cast, a number or a boolean is ever bound into a statement.
   */
  private static final int MAX_TEXT = 78;
  private static final Pattern LITERAL = Pattern.compile(
      "(?:'(?:[^'\\\\]|'')*'|-?[0-9]+(?:\\.[0-9]+)?)(?:::[a-z_][a-z0-9_ ]*(?:\\[\\])?)?|true|false");

  /**
   * A column a statement compares with one constant most of the time.
   *
   * @param literal the constant as SQL, as PostgreSQL printed it ({@code 'pending'::text}, {@code 7})
   * @param share of the statement's sampled runs of the comparison
   */
  public record Constant(String schema, String table, String column, String literal, double share) {}

  public static final ObservedConstants NONE = new ObservedConstants(Map.of(), null);

  private final Map<Long, List<Constant>> byQuery;
  private final String unavailable;

  private ObservedConstants(Map<Long, List<Constant>> byQuery, String unavailable) {
    this.byQuery = byQuery;
    this.unavailable = unavailable;
  }

  /**
   * Reads pg_qualstats in the current database. Without it (not installed here, not preloaded, or its constants hidden
   * from this role) the result is empty and {@link #unavailable()} says why.
   */
  public static ObservedConstants read(Connection c) throws SQLException {
    boolean installed = Sql.one(c, "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_qualstats')", rs -> rs.getBoolean(1));
    boolean preloaded = Sql.one(c, "SELECT 'pg_qualstats' = ANY (string_to_array(replace(current_setting("
        + "'shared_preload_libraries'), ' ', ''), ','))", rs -> rs.getBoolean(1));
    if (!installed || !preloaded) {
      return new ObservedConstants(Map.of(), "pg_qualstats is not " + (preloaded ? "created in this database" : "loaded")
          + ", so constants the statements compare columns with (hidden as $n by pg_stat_statements) are unknown and no"
          + " partial index on them is considered");
    }
    record Row(long queryId, String schema, String table, String column, String constant, long runs) {}
    List<Row> rows = Sql.list(c, """
        SELECT q.queryid, n.nspname, cl.relname, a.attname, q.constvalue, sum(q.occurences)::bigint AS runs
          FROM pg_qualstats q
          JOIN pg_operator o ON o.oid = q.opno AND o.oprname = '='
          JOIN pg_class cl ON cl.oid = q.lrelid
          JOIN pg_namespace n ON n.oid = cl.relnamespace
          JOIN pg_attribute a ON a.attrelid = q.lrelid AND a.attnum = q.lattnum AND NOT a.attisdropped
         WHERE q.queryid IS NOT NULL AND q.rrelid IS NULL AND q.constvalue IS NOT NULL
         GROUP BY 1, 2, 3, 4, 5""",
        rs -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getLong(6)));
    Map<String, Long> totals = new HashMap<>();
    for (Row r : rows) {
      totals.merge(r.queryId() + "\u0000" + r.schema() + "\u0000" + r.table() + "\u0000" + r.column(), r.runs(), Long::sum);
    }
    Map<Long, List<Constant>> byQuery = new LinkedHashMap<>();
    boolean hidden = false;
    for (Row r : rows) {
      hidden |= r.constant().startsWith("<");
      long total = totals.get(r.queryId() + "\u0000" + r.schema() + "\u0000" + r.table() + "\u0000" + r.column());
      double share = (double) r.runs() / total;
      if (total >= MIN_RUNS && share >= MIN_SHARE && isLiteral(r.constant())) {
        byQuery.computeIfAbsent(r.queryId(), k -> new ArrayList<>())
            .add(new Constant(r.schema(), r.table(), r.column(), r.constant(), share));
      }
    }
    return new ObservedConstants(byQuery, hidden && byQuery.isEmpty()
        ? "pg_qualstats hides the constants from this role (grant pg_read_all_stats to see them)" : null);
  }

  /** Whether {@code text} is one plain literal pgopt may bind into a statement and write into an index predicate. */
  static boolean isLiteral(String text) {
    return text.length() <= MAX_TEXT && LITERAL.matcher(text).matches();
  }

  /** The constants statement {@code queryId} compares columns with, most of the time. */
  public List<Constant> of(long queryId) {
    return byQuery.getOrDefault(queryId, List.of());
  }

  /** Why nothing was read, or null when pg_qualstats was read. */
  public String unavailable() {
    return unavailable;
  }
}
