package dev.pgopt.vector.inspect;

import dev.pgopt.collect.PlanCollector;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.PlanNode;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything pgvector-related in one database: the extension and its known issues, settings, vector columns, ANN
 * indexes, and the statements that search by distance with whether (and why not) their plans use an ANN index.
 */
public record VectorInventory(String database, String pgvectorVersion, List<String> versionWarnings, VectorSettings settings,
    List<VectorColumn> columns, List<VectorIndex> indexes, List<VectorStatement> statements, List<String> notes) {

  /** Marks pgopt's own vector queries, so they are left out of the statements it reports. */
  public static final String OWN_QUERY_MARK = "/* pgopt vector */";
  private static final Pattern DISTANCE = Pattern.compile("(?:\"?([A-Za-z_][A-Za-z0-9_]*)\"?\\.)?\"?([A-Za-z_][A-Za-z0-9_]*)\"?\\s*(<->|<=>|<#>|<\\+>|<~>|<%>)");
  private static final Pattern ORDER_BY_DISTANCE = Pattern.compile("(?is)ORDER\\s+BY\\s+(?:\"?[A-Za-z_][A-Za-z0-9_]*\"?\\.)?\"?([A-Za-z_][A-Za-z0-9_]*)\"?\\s*(<->|<=>|<#>|<\\+>|<~>|<%>)\\s*(?:\\$\\d+|'[^']*'|\\(?[A-Za-z_$][^,;]*?)(?:\\s+ASC)?\\s+LIMIT\\b");

  /** Everything, with the plan of each statement that searches by distance, planned under {@code guard}. */
  public static VectorInventory read(Connection c, PlanGuard guard, int serverVersionNum) throws SQLException, PgvectorMissingException {
    return read(c, guard, serverVersionNum, true, null, null);
  }

  /** Columns, indexes and settings only: what tune, build and migrate need, without planning every statement. */
  public static VectorInventory readCatalog(Connection c) throws SQLException, PgvectorMissingException {
    return read(c, null, 0, false, null, null);
  }

  /**
   * Columns, indexes and settings of one table only, which may be a partition: its own indexes are listed then, where
   * the whole-database inventory shows a partitioned table's index once, on the parent.
   */
  public static VectorInventory readTable(Connection c, String schema, String table) throws SQLException, PgvectorMissingException {
    return read(c, null, 0, false, schema, table);
  }

  private static VectorInventory read(Connection c, PlanGuard guard, int serverVersionNum, boolean withStatements,
      String schema, String table) throws SQLException, PgvectorMissingException {
    String database = Sql.one(c, "SELECT current_database()", rs -> rs.getString(1));
    List<String> installed = Sql.list(c, "SELECT extversion FROM pg_extension WHERE extname = 'vector'", rs -> rs.getString(1));
    if (installed.isEmpty()) {
      boolean available = !Sql.list(c, "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'", rs -> 1).isEmpty();
      throw new PgvectorMissingException(available
          ? "pgvector is available but not created in database " + database + ": run CREATE EXTENSION vector;"
          : "pgvector is not installed on this server: install it (Debian/Ubuntu: apt install postgresql-NN-pgvector;"
              + " RDS, Supabase and Neon ship it), then CREATE EXTENSION vector;");
    }
    String version = installed.get(0);
    List<String> notes = new ArrayList<>();
    VectorSettings settings = settings(c);
    List<VectorColumn> columns = columns(c, schema, table);
    List<VectorIndex> indexes = indexes(c, schema, table);
    List<VectorStatement> statements = withStatements ? statements(c, guard, serverVersionNum, indexes, settings, notes) : List.of();
    return new VectorInventory(database, version, versionWarnings(version), settings, columns, indexes, statements, notes);
  }

  /** Known issues of the installed version, from pgvector's changelog. */
  public static List<String> versionWarnings(String version) {
    List<String> w = new ArrayList<>();
    int[] v = parse(version);
    if (compare(v, new int[] {0, 8, 2}) < 0) {
      w.add("pgvector " + version + " is before 0.8.2: parallel HNSW index builds can overflow (fixed in 0.8.2);"
          + " upgrade, or build with max_parallel_maintenance_workers = 0");
    }
    if (compare(v, new int[] {0, 8, 4}) < 0) {
      w.add("pgvector " + version + " is before 0.8.4: HNSW vacuum fixes are pending; upgrade before heavy delete/update churn");
    }
    return w;
  }

  private static int[] parse(String version) {
    String[] parts = version.split("[.-]");
    int[] v = new int[3];
    for (int i = 0; i < 3 && i < parts.length; i++) {
      try {
        v[i] = Integer.parseInt(parts[i]);
      } catch (NumberFormatException e) {
        v[i] = 0;
      }
    }
    return v;
  }

  private static int compare(int[] a, int[] b) {
    for (int i = 0; i < 3; i++) {
      if (a[i] != b[i]) {
        return Integer.compare(a[i], b[i]);
      }
    }
    return 0;
  }

  static VectorSettings settings(Connection c) throws SQLException {
    // pgvector defines its settings when its library loads, on first use of a vector in the session.
    Sql.one(c, "SELECT '[1]'::vector IS NOT NULL", rs -> 1);
    return Sql.one(c, """
        SELECT current_setting('hnsw.ef_search', true), current_setting('hnsw.iterative_scan', true),
               current_setting('hnsw.max_scan_tuples', true), current_setting('ivfflat.probes', true),
               pg_size_bytes(current_setting('maintenance_work_mem')), current_setting('max_parallel_maintenance_workers')""",
        rs -> new VectorSettings(intOr(rs.getString(1), 40), rs.getString(2),
            rs.getString(3) == null ? null : Long.parseLong(rs.getString(3)), intOr(rs.getString(4), 1), rs.getLong(5),
            Integer.parseInt(rs.getString(6))));
  }

  private static int intOr(String s, int fallback) {
    return s == null || s.isEmpty() ? fallback : Integer.parseInt(s);
  }

  /**
   * Vector columns of every table that is not a partition (a partitioned table once, with its partitions' rows and
   * sizes summed), or of the one table named, partition or not.
   */
  static List<VectorColumn> columns(Connection c, String schema, String table) throws SQLException {
    String which = table == null ? "NOT cl.relispartition" : "n.nspname = ? AND cl.relname = ?";
    String sql = """
        SELECT n.nspname, cl.relname, a.attname, t.typname, NULLIF(a.atttypmod, -1),
               coalesce(p.rows, greatest(cl.reltuples, 0))::bigint, s.null_frac, s.avg_width,
               coalesce(p.table_bytes, pg_table_size(cl.oid)),
               coalesce(p.toast_bytes, pg_relation_size(NULLIF(cl.reltoastrelid, 0)), 0), coalesce(p.leaves, 0)
          FROM pg_attribute a
          JOIN pg_class cl ON cl.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = cl.relnamespace
          JOIN pg_type t ON t.oid = a.atttypid
          LEFT JOIN LATERAL (
            SELECT sum(greatest(l.reltuples, 0)) AS rows, sum(pg_table_size(l.oid)) AS table_bytes,
                   sum(coalesce(pg_relation_size(NULLIF(l.reltoastrelid, 0)), 0)) AS toast_bytes, count(*) AS leaves
              FROM pg_partition_tree(cl.oid) pt JOIN pg_class l ON l.oid = pt.relid
             WHERE pt.isleaf) p ON cl.relkind = 'p'
          LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = cl.relname AND s.attname = a.attname
               AND s.inherited = (cl.relkind = 'p')
         WHERE a.attnum > 0 AND NOT a.attisdropped AND cl.relkind IN ('r', 'p', 'm') AND %s
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
           AND (t.typname IN ('vector', 'halfvec', 'sparsevec') OR (t.typname = 'bit' AND a.atttypmod >= 64))
         ORDER BY 1, 2, a.attnum""".formatted(which);
    Object[] params = table == null ? new Object[0] : new Object[] {schema, table};
    return Sql.list(c, sql,
        rs -> new VectorColumn(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
            (Integer) rs.getObject(5), rs.getLong(6), Sql.nullableDouble(rs, "null_frac"), (Integer) rs.getObject(8),
            rs.getLong(9), rs.getLong(10), rs.getInt(11)), params);
  }

  /**
   * HNSW and IVFFlat indexes, an index on a partitioned table once with its partitions' indexes (sizes summed), or the
   * indexes of the one table named.
   */
  static List<VectorIndex> indexes(Connection c, String schema, String table) throws SQLException {
    String which = table == null ? "NOT i.relispartition" : "n.nspname = ? AND t.relname = ?";
    String sql = """
        SELECT n.nspname, t.relname, i.relname, am.amname, opc.opcname, a.attname, i.reloptions,
               coalesce(p.bytes, pg_relation_size(i.oid)), x.indisvalid, x.indpred IS NOT NULL, pg_get_indexdef(i.oid),
               coalesce(p.names, '{}'), coalesce(p.largest, pg_relation_size(i.oid)),
               coalesce((SELECT array_agg(ka.attname::text ORDER BY k.ord)
                           FROM pg_partitioned_table pp CROSS JOIN LATERAL unnest(pp.partattrs::int2[]) WITH ORDINALITY k(attnum, ord)
                           JOIN pg_attribute ka ON ka.attrelid = pp.partrelid AND ka.attnum = k.attnum
                          WHERE pp.partrelid = t.oid), '{}')
          FROM pg_index x
          JOIN pg_class i ON i.oid = x.indexrelid
          JOIN pg_am am ON am.oid = i.relam
          JOIN pg_class t ON t.oid = x.indrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace
          JOIN pg_opclass opc ON opc.oid = x.indclass[0]
          LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0] AND x.indkey[0] <> 0
          LEFT JOIN LATERAL (
            SELECT sum(pg_relation_size(pt.relid)) AS bytes, max(pg_relation_size(pt.relid)) AS largest,
                   array_agg(l.relname::text ORDER BY l.relname) AS names
              FROM pg_partition_tree(i.oid) pt JOIN pg_class l ON l.oid = pt.relid
             WHERE pt.isleaf) p ON i.relkind = 'I'
         WHERE am.amname IN ('hnsw', 'ivfflat') AND %s
         ORDER BY 1, 2, 3""".formatted(which);
    Object[] params = table == null ? new Object[0] : new Object[] {schema, table};
    return Sql.list(c, sql,
        rs -> {
          Map<String, String> options = new LinkedHashMap<>();
          java.sql.Array arr = rs.getArray(7);
          if (arr != null) {
            for (Object o : (Object[]) arr.getArray()) {
              String kv = o.toString();
              int eq = kv.indexOf('=');
              options.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
          }
          List<String> parts = List.of((String[]) rs.getArray(12).getArray());
          return new VectorIndex(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
              DistanceOperator.servedBy(rs.getString(5)).orElse(null), rs.getString(6), options, rs.getLong(8),
              rs.getBoolean(9), rs.getBoolean(10), rs.getString(11), parts, rs.getLong(13),
              List.of((String[]) rs.getArray(14).getArray()));
        }, params);
  }

  static List<VectorStatement> statements(Connection c, PlanGuard guard, int serverVersionNum, List<VectorIndex> indexes,
      VectorSettings settings, List<String> notes) throws SQLException {
    if (Sql.list(c, "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'", rs -> 1).isEmpty()) {
      notes.add("pg_stat_statements is not installed: statements that search by distance cannot be listed");
      return List.of();
    }
    record Row(String id, String query, long calls, double mean, long rows) {}
    List<Row> rows;
    try {
      rows = Sql.list(c, """
          SELECT queryid::text, query, calls, mean_exec_time, rows FROM pg_stat_statements
           WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND toplevel
             AND query ~ '(<->|<=>|<#>|<\\+>|<~>|<%>)' AND query NOT LIKE '%pgopt vector%'
             AND query !~* '^\\s*(EXPLAIN|PREPARE|CREATE|ALTER|COPY)'
           ORDER BY total_exec_time DESC LIMIT 50""",
          rs -> new Row(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getDouble(4), rs.getLong(5)));
    } catch (SQLException e) {
      notes.add("pg_stat_statements cannot be read: " + e.getMessage().lines().findFirst().orElse(""));
      return List.of();
    }
    List<VectorStatement> out = new ArrayList<>();
    for (Row r : rows) {
      out.add(diagnose(c, guard, serverVersionNum, r.id(), r.query(), r.calls(), r.mean(), r.rows(), indexes, settings));
    }
    return out;
  }

  /** A search that walks this many partitions' graphs is reported (docs/benchmarks/partitioning.md measures the cost). */
  static final int PARTITION_FANOUT = 4;

  /** The smallest LIMIT assumed for {@code LIMIT $n}: the k most searches ask for. */
  static final long TYPICAL_K = 10;

  static VectorStatement diagnose(Connection c, PlanGuard guard, int serverVersionNum, String id, String query, long calls, double mean,
      long rows, List<VectorIndex> indexes, VectorSettings settings) throws SQLException {
    Matcher m = DISTANCE.matcher(query);
    String column = null;
    DistanceOperator op = null;
    if (m.find()) {
      column = m.group(2);
      op = DistanceOperator.ofSymbol(m.group(3)).orElse(null);
    }
    double rowsPerCall = calls == 0 ? 0 : (double) rows / calls;
    List<String> problems = new ArrayList<>();
    // planned with the LIMIT the calls use: a generic plan costs LIMIT $n as a tenth of the table and sorts, where every
    // real call walks the ANN index. A starved filtered search returns fewer rows than it asks for, so k is at least 10.
    String planned = dev.pgopt.collect.SqlText.withTypicalLimit(query, Math.max(TYPICAL_K, (long) Math.ceil(rowsPerCall)));
    PlanCollector.Attempt attempt = PlanCollector.plannable(query) ? PlanCollector.attempt(c, guard, planned, serverVersionNum, false)
        : new PlanCollector.Attempt(null, "not a plannable statement");
    if (!attempt.planned()) {
      // Without a plan, what the text and the catalog say still holds: a searched column with no ANN index on any
      // table the statement names, or indexes that serve another operator.
      String searched = column;
      List<VectorIndex> named = indexes.stream().filter(i -> searched != null && searched.equals(i.column())
          && mentions(query, i.table())).toList();
      DistanceOperator searchOp = op;
      if (column != null && named.isEmpty()) {
        problems.add("no HNSW or IVFFlat index on " + column + ": every search reads the whole table (from the"
            + " statement's text; it could not be planned: " + attempt.error() + ")");
      } else if (op != null && !named.isEmpty() && named.stream().noneMatch(i -> i.serves() == searchOp)) {
        VectorIndex i = named.get(0);
        problems.add("operator/opclass mismatch: the query uses " + op.symbol() + " but index " + i.name() + " is "
            + i.opclass() + " (serves " + (i.serves() == null ? "another operator" : i.serves().symbol()) + ")"
            + " (from the statement's text; it could not be planned)");
      }
      return new VectorStatement(id, query, calls, mean, rowsPerCall, op, column, null, 0, problems, attempt.error());
    }
    PlanNode[] annScan = new PlanNode[1];
    VectorIndex[] annIndex = new VectorIndex[1];
    int[] annScans = new int[1];
    List<String> scanned = new ArrayList<>();
    attempt.plan().root().walk(n -> {
      if (n.relation() != null) {
        scanned.add(n.relation());
      }
      if (n.indexName() != null) {
        indexes.stream().filter(i -> i.scannedAs(n.indexName())).findFirst().ifPresent(i -> {
          annScan[0] = n;
          annIndex[0] = i;
          annScans[0]++;
        });
      }
    });
    String finalColumn = column;
    List<VectorIndex> onColumn = indexes.stream()
        .filter(i -> finalColumn != null && finalColumn.equals(i.column()) && (scanned.contains(i.table())
            // a plan scans a partitioned table's partitions, never the table itself: the text names it
            || !i.partitionIndexes().isEmpty() && mentions(query, i.table())))
        .toList();
    Optional<VectorIndex> prunedAtRunTime = onColumn.stream()
        .filter(i -> i.partitionKey().stream().anyMatch(k -> mentions(query, k))).findFirst();
    if (prunedAtRunTime.isPresent()) {
      // A generic plan prunes with unknown values (NULL removes every partition), so it cannot show what a call scans.
      return new VectorStatement(id, query, calls, mean, rowsPerCall, op, column, null, 0, problems,
          "filters " + prunedAtRunTime.get().table() + " by its partition key " + String.join(", ",
              prunedAtRunTime.get().partitionKey()) + ": which partitions a call searches depends on its values; measure"
              + " with pgopt vector tune --table " + prunedAtRunTime.get().table() + " --filter '<the condition>'");
    }
    if (annScan[0] == null) {
      DistanceOperator finalOp = op;
      if (onColumn.isEmpty()) {
        problems.add("no HNSW or IVFFlat index on " + (column == null ? "the searched column" : column)
            + ": every search reads the whole table");
      } else if (op != null && onColumn.stream().noneMatch(i -> i.serves() == finalOp)) {
        VectorIndex i = onColumn.get(0);
        problems.add("operator/opclass mismatch: the query uses " + op.symbol() + " but index " + i.name() + " is "
            + i.opclass() + " (serves " + (i.serves() == null ? "another operator" : i.serves().symbol()) + ")");
      } else if (!ORDER_BY_DISTANCE.matcher(query).find()) {
        problems.add("ORDER BY expression mismatch: an ANN index serves only ORDER BY " + column + " " + (op == null ? "<->" : op.symbol())
            + " <query vector> LIMIT n (ascending, the bare distance, with a LIMIT)");
      } else {
        problems.add("the planner chose not to use the index (small table, or an estimate that favours a scan)");
      }
    } else {
      PlanNode scan = annScan[0];
      VectorIndex used = annIndex[0];
      if (scan.filter() != null && !(used.hnsw() && settings.iterativeScanOn())) {
        problems.add("filter applied after the index scan (" + scan.filter() + ") without iterative scan: the scan yields "
            + (used.hnsw() ? "at most hnsw.ef_search = " + settings.efSearch() : "the rows of ivfflat.probes = " + settings.probes()
                + " lists") + " candidates before filtering, so a selective filter returns fewer rows than LIMIT"
            + (used.hnsw() ? "; SET hnsw.iterative_scan = relaxed_order" : ""));
      }
      if (used.hnsw() && rowsPerCall >= 0.9 * settings.efSearch() && calls > 0) {
        problems.add(String.format("returns %.0f rows per call, about hnsw.ef_search = %d: a LIMIT above ef_search is cut"
            + " to ef_search rows", rowsPerCall, settings.efSearch()));
      }
    }
    if (annScans[0] >= PARTITION_FANOUT) {
      problems.add(String.format("searches %d partitions: each search walks the graph of every partition's index and"
          + " merges them, so its cost grows with the partitions; a filter on the partition key prunes it to the"
          + " partitions it needs", annScans[0]));
    }
    return new VectorStatement(id, query, calls, mean, rowsPerCall, op, column,
        annIndex[0] == null ? null : annIndex[0].name(), annScans[0], problems, null);
  }

  /** Whether the text has the name as a word (a table or column named in the statement). */
  private static boolean mentions(String query, String name) {
    return query.toLowerCase(java.util.Locale.ROOT)
        .matches("(?s).*\\b" + Pattern.quote(name.toLowerCase(java.util.Locale.ROOT)) + "\\b.*");
  }

  public Optional<VectorColumn> column(String schema, String table, String column) {
    return columns.stream().filter(c -> c.schema().equals(schema) && c.table().equals(table) && c.column().equals(column))
        .findFirst();
  }
}
