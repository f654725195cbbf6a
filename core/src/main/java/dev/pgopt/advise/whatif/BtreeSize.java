package dev.pgopt.advise.whatif;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The size a B-tree index will have once built, from the table's statistics: rows (reltuples, times the share a
 * partial index keeps), and per key column pg_stats' average width, distinct count and null share. Unlike HypoPG's
 * estimate it models deduplication (PostgreSQL 13+): equal keys are stored once with a posting list of 6-byte row
 * pointers, which for a low-cardinality column makes the index a third of the naive size. Deduplication applies only
 * where every key column's type supports it (the operator class has an equalimage function and the collation is
 * deterministic: not numeric, float or jsonb, for example).
 *
 * <p>Several key columns: pg_stats knows each column's distinct count, not the combination's, and the product
 * overstates it when columns go together (TPC-H's lineitem (l_partkey, l_suppkey): 200,000 × 10,000 capped at the 6
 * million rows says every key is unique, the 800,000 pairs of partsupp say 7.5 rows each, and the index is 58 MB, not
 * 134). So the combination's distinct count is estimated from a page sample of about {@value #SAMPLE_ROWS} rows with
 * the estimator ANALYZE uses for n_distinct (Haas and Stokes' Duj1), once per table and column set.
 *
 * <p>Layout (nbtree): 8 kB pages with a 24-byte header and 16 bytes of B-tree data, leaves filled to 90 % by CREATE
 * INDEX, inner pages to 70 %; each tuple is an 8-byte header plus its key, rounded to 8 bytes, plus a 4-byte line
 * pointer; posting lists hold at most half of the largest tuple (1,352 bytes) each.
 */
public final class BtreeSize {
  private static final int PAGE = 8192;
  private static final int USABLE = PAGE - 24 - 16;
  private static final double LEAF_FILL = 0.90;
  private static final double INNER_FILL = 0.70;
  private static final int MAX_POSTING_TUPLE = 2704 / 2;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Rows a multi-column distinct count is sampled from: ANALYZE's sample at the default statistics target. */
  static final int SAMPLE_ROWS = 30_000;

  private final Connection connection;
  /** Per table: its statistics, read once per advise run (many candidates share a table). */
  private final Map<String, TableStats> byTable = new HashMap<>();
  /** Per table and key columns: the distinct combinations, sampled once (-1: could not be sampled). */
  private final Map<String, Double> combinations = new HashMap<>();

  private record TableStats(double reltuples, Map<String, Column> columns) {}

  /** Reads statistics through {@code connection}, once per table. */
  public BtreeSize(Connection connection) {
    this.connection = connection;
  }

  /**
   * Statistics of one key column.
   *
   * @param commonFreqs pg_stats' most_common_freqs (each common value's share of the rows), empty when none
   */
  record Column(double avgWidth, double nDistinct, double nullFrac, boolean dedupable, double[] commonFreqs) {}

  /** The estimate in bytes, or -1 when the statistics it needs are missing (never analyzed, or an expression). */
  public static long estimate(Connection c, IndexCandidate candidate) throws SQLException {
    return new BtreeSize(c).estimate(candidate);
  }

  /**
   * The estimate in bytes, or -1 when the statistics it needs are missing (never analyzed, or an expression) or the
   * candidate is not a B-tree.
   */
  public long estimate(IndexCandidate candidate) throws SQLException {
    TableStats stats = byTable.get(candidate.qualifiedTable());
    if (stats == null) {
      stats = read(candidate.qualifiedTable());
      byTable.put(candidate.qualifiedTable(), stats);
    }
    if (stats.reltuples() < 0) {
      return -1;
    }
    if (candidate.brin()) {
      return -1;
    }
    List<Column> columns = new ArrayList<>();
    for (String name : candidate.columns()) {
      Column col = stats.columns().get(name);
      if (col == null) {
        return -1;
      }
      columns.add(col);
    }
    for (String name : candidate.include()) {
      Column col = stats.columns().get(name);
      if (col == null) {
        return -1;
      }
      // INCLUDE columns widen the leaf tuples and turn deduplication off (PostgreSQL does not deduplicate such indexes)
      columns.add(new Column(col.avgWidth(), col.nDistinct(), col.nullFrac(), false, col.commonFreqs()));
    }
    double share = 1;
    if (candidate.predicate() != null) {
      share = predicateShare(candidate, stats.reltuples());
      if (share < 0) {
        return -1;
      }
    }
    double combined = candidate.columns().size() > 1 ? combinations(candidate, stats.reltuples()) : -1;
    return bytes(stats.reltuples(), share, columns, combined);
  }

  /**
   * Distinct combinations of the candidate's key columns in the table, from a page sample (TABLESAMPLE SYSTEM, seeded
   * so runs agree): Duj1 = n·d / (n − f1 + f1·n/N) for d distinct in n sampled rows of N, f1 of them seen once; the
   * whole sample when it is the whole table. -1 when the sample fails or is empty.
   */
  private double combinations(IndexCandidate candidate, double reltuples) throws SQLException {
    String key = candidate.qualifiedTable() + " " + candidate.columns();
    Double known = combinations.get(key);
    if (known != null) {
      return known;
    }
    double percent = reltuples <= SAMPLE_ROWS ? 100 : Math.max(0.0001, 100.0 * SAMPLE_ROWS / reltuples);
    String columns = String.join(", ", candidate.columns().stream().map(Quoting::ident).toList());
    String sql = Sql.OWN_MARK + "SELECT count(*)::float8, sum(c)::float8, count(*) FILTER (WHERE c = 1)::float8 FROM (SELECT count(*) AS c"
        + " FROM " + candidate.qualifiedTable() + " TABLESAMPLE SYSTEM (" + String.format(java.util.Locale.ROOT, "%.6f", percent)
        + ") REPEATABLE (7) GROUP BY " + columns + ") g";
    java.sql.Savepoint sp = connection.getAutoCommit() ? null : connection.setSavepoint("pgopt_sample");
    double result = -1;
    try {
      double[] dnf = Sql.one(connection, sql, rs -> new double[] {rs.getDouble(1), rs.getDouble(2), rs.getDouble(3)});
      result = duj1(dnf[0], dnf[1], dnf[2], reltuples);
    } catch (SQLException e) {
      if (sp != null) {
        connection.rollback(sp);
      }
    } finally {
      if (sp != null) {
        connection.releaseSavepoint(sp);
      }
    }
    combinations.put(key, result);
    return result;
  }

  /** Haas and Stokes' Duj1 for d distinct values among n sampled rows of N, f1 of them seen once; -1 without a sample. */
  static double duj1(double d, double n, double f1, double tableRows) {
    if (n <= 0 || d <= 0) {
      return -1;
    }
    if (n >= tableRows || f1 >= n) {
      // the whole table, or every sampled row distinct: nothing to extrapolate from but "all distinct"
      return n >= tableRows ? d : tableRows;
    }
    return Math.min(tableRows, Math.max(d, n * d / (n - f1 + f1 * n / tableRows)));
  }

  /**
   * The share of the rows a partial index keeps: the planner's row estimate for its predicate (from pg_stats: null
   * share, most common values, histogram) over the table's rows; -1 when it cannot be planned. The predicates are
   * pgopt's own (a column IS [NOT] NULL, a boolean column, a column equal to a literal), so planning them runs nothing.
   */
  private double predicateShare(IndexCandidate candidate, double reltuples) throws SQLException {
    if (reltuples <= 0) {
      return 1;
    }
    // in a savepoint: the advisor's transaction must survive a predicate the server will not plan
    java.sql.Savepoint sp = connection.getAutoCommit() ? null : connection.setSavepoint("pgopt_predicate");
    try {
      String plan = Sql.one(connection, Sql.OWN_MARK + "EXPLAIN (FORMAT JSON) SELECT FROM " + candidate.qualifiedTable()
          + " WHERE " + candidate.predicate(), rs -> rs.getString(1));
      JsonNode rows = JSON.readTree(plan).path(0).path("Plan").path("Plan Rows");
      return rows.isNumber() ? Math.min(1, rows.asDouble() / reltuples) : -1;
    } catch (SQLException | JsonProcessingException e) {
      if (sp != null) {
        connection.rollback(sp);
      }
      return -1;
    } finally {
      if (sp != null) {
        connection.releaseSavepoint(sp);
      }
    }
  }

  private TableStats read(String qualifiedTable) throws SQLException {
    record Row(double reltuples, String column, Column stats) {}
    List<Row> rows = Sql.list(connection, """
        SELECT greatest(t.reltuples, -1)::float8, a.attname, s.avg_width::float8, s.n_distinct::float8,
               s.null_frac::float8, s.most_common_freqs::float8[],
               EXISTS (SELECT 1 FROM pg_opclass oc JOIN pg_amproc p ON p.amprocfamily = oc.opcfamily
                        WHERE oc.opcmethod = (SELECT oid FROM pg_am WHERE amname = 'btree') AND oc.opcdefault
                          AND oc.opcintype = a.atttypid AND p.amprocnum = 4)
                 AND coalesce((SELECT collisdeterministic FROM pg_collation WHERE oid = a.attcollation), true),
               s.attname IS NOT NULL
          FROM pg_class t
          JOIN pg_namespace n ON n.oid = t.relnamespace
          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
          LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = t.relname AND s.attname = a.attname
                              AND NOT s.inherited
         WHERE t.oid = to_regclass(?)""",
        rs -> new Row(rs.getDouble(1), rs.getString(2), rs.getBoolean(8)
            ? new Column(rs.getDouble(3), rs.getDouble(4), rs.getDouble(5), rs.getBoolean(7), freqs(rs.getArray(6)))
            : null),
        qualifiedTable);
    if (rows.isEmpty()) {
      return new TableStats(-1, Map.of());
    }
    Map<String, Column> columns = new HashMap<>();
    for (Row r : rows) {
      if (r.stats() != null) {
        columns.put(r.column(), r.stats());
      }
    }
    return new TableStats(rows.get(0).reltuples(), columns);
  }

  private static double[] freqs(java.sql.Array a) throws SQLException {
    if (a == null) {
      return new double[0];
    }
    Object[] values = (Object[]) a.getArray();
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = ((Number) values[i]).doubleValue();
    }
    return out;
  }

  /**
   * The arithmetic: a table of {@code tableRows}, of which the index keeps {@code share}, with these key columns.
   * Entries are grouped by key value: with one key column, each most common value is a group of its own (skew matters:
   * one value holding half the rows deduplicates far better than the average suggests), NULL is one more, and the other
   * values share the rest evenly; with several, every combination is assumed as frequent as the others (as many as
   * {@code combined} when sampled, else the product of the columns' counts). A partial
   * index keeps a share of each value's rows, so it sees fewer distinct values than the table.
   */
  static long bytes(double tableRows, double share, List<Column> columns) {
    return bytes(tableRows, share, columns, -1);
  }

  /** @param combined distinct combinations of several key columns when known (sampled), else -1 */
  static long bytes(double tableRows, double share, List<Column> columns, double combined) {
    double rows = tableRows * share;
    if (rows < 1) {
      return PAGE * 2L; // the metapage and one empty leaf
    }
    double keyWidth = 0;
    boolean dedupable = true;
    for (Column col : columns) {
      keyWidth += (1 - col.nullFrac()) * col.avgWidth();
      dedupable &= col.dedupable();
    }
    double tuple = align(8 + keyWidth);
    // groups of equal keys in the table: {number of values, table rows per value}
    List<double[]> groups = new java.util.ArrayList<>();
    if (columns.size() == 1) {
      Column col = columns.get(0);
      double nd = col.nDistinct() < 0 ? -col.nDistinct() * tableRows : col.nDistinct();
      double common = 0;
      for (double f : col.commonFreqs()) {
        groups.add(new double[] {1, f * tableRows});
        common += f;
      }
      if (col.nullFrac() > 0) {
        groups.add(new double[] {1, col.nullFrac() * tableRows});
      }
      double restValues = Math.max(0, nd - col.commonFreqs().length);
      double restRows = Math.max(0, 1 - common - col.nullFrac()) * tableRows;
      if (restValues >= 1 && restRows >= 1) {
        groups.add(new double[] {restValues, restRows / restValues});
      } else if (restRows >= 1) {
        groups.add(new double[] {restRows, 1});
      }
    } else {
      double distinct = 1;
      for (Column col : columns) {
        double nd = col.nDistinct() < 0 ? -col.nDistinct() * tableRows : col.nDistinct();
        distinct *= Math.max(1, nd + (col.nullFrac() > 0 ? 1 : 0));
      }
      distinct = Math.max(1, Math.min(tableRows, combined > 0 ? Math.min(distinct, combined) : distinct));
      groups.add(new double[] {distinct, tableRows / distinct});
    }
    double leafBytes = 0;
    for (double[] g : groups) {
      double perValueRows = g[1] * share;
      // of `values` values with `g[1]` rows each, a random `share` of the rows touches this many
      double present = g[0] * (1 - Math.pow(1 - share, g[1]));
      double duplicates = present <= 0 ? 0 : g[0] * perValueRows / present;
      if (present <= 0) {
        continue;
      }
      if (dedupable && duplicates > 1.5) {
        int perPosting = (int) Math.max(2, (MAX_POSTING_TUPLE - tuple) / 6);
        double postings = Math.ceil(duplicates / perPosting);
        leafBytes += present * (postings * (tuple + 4) + align(duplicates * 6));
      } else {
        leafBytes += present * duplicates * (tuple + 4);
      }
    }
    double leaves = Math.ceil(leafBytes / (USABLE * LEAF_FILL));
    double pages = 1 + leaves;
    double level = leaves;
    double pivot = tuple + 4; // suffix truncation makes pivots no larger than leaf keys
    while (level > 1) {
      level = Math.ceil(level * pivot / (USABLE * INNER_FILL));
      pages += level;
    }
    return (long) pages * PAGE;
  }

  private static double align(double bytes) {
    return Math.ceil(bytes / 8) * 8;
  }
}
