package dev.pgopt.vector.tune;

import dev.pgopt.collect.PlanNode;
import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import dev.pgopt.vector.VectorRequestException;
import dev.pgopt.vector.inspect.DistanceOperator;
import dev.pgopt.vector.inspect.PgvectorMissingException;
import dev.pgopt.vector.inspect.VectorColumn;
import dev.pgopt.vector.inspect.VectorIndex;
import dev.pgopt.vector.inspect.VectorInventory;
import dev.pgopt.vector.inspect.VectorSettings;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Measures recall against latency on the user's own data. Ground truth is exact search (index scans off, parallel
 * workers allowed); then every setting of the sweep runs the same queries through the ANN index. Recall@k is
 * tie-tolerant: an ANN result counts if its distance is within the k-th true distance (+1e-6), as ann-benchmarks
 * computes it. Sampled query rows are excluded from their own results (held out). Runs in the caller's transaction,
 * with SET LOCAL only: nothing outlives it.
 */
public final class RecallSweep {
  private static final double EPSILON = 1e-6;
  /** A row's identity: ctid alone repeats across the partitions of a partitioned table. */
  private static final String ROW_ID = "tableoid::text || ':' || ctid::text";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Connection c;
  private final LongSupplier nanoTime;

  public RecallSweep(Connection c, LongSupplier nanoTime) {
    this.c = c;
    this.nanoTime = nanoTime;
  }

  private record Query(String vector, String self) {}

  private record Hit(String ctid, double distance) {}

  public TuneResult run(TuneRequest r) throws SQLException, VectorRequestException, PgvectorMissingException {
    if (r.k() < 1 || r.k() > 1000) {
      throw new VectorRequestException("--k must be between 1 and 1000, got " + r.k());
    }
    if (r.targetRecall() <= 0 || r.targetRecall() > 1) {
      throw new VectorRequestException("--target-recall must be in (0, 1], got " + r.targetRecall());
    }
    VectorInventory inv = VectorInventory.readTable(c, r.schema(), r.table());
    VectorColumn col = column(inv, r);
    VectorIndex index = inv.indexes().stream()
        .filter(i -> i.schema().equals(col.schema()) && i.table().equals(col.table()) && col.column().equals(i.column()))
        .filter(i -> i.valid() && !i.partial())
        .findFirst()
        .orElse(null);
    if (index == null) {
      throw new VectorRequestException(col.partitions() > 0 ? noPartitionedIndex(col)
          : "no valid HNSW or IVFFlat index on " + col.qualifiedTable() + "." + col.column()
              + ": create one first (exact search needs no tuning), e.g. CREATE INDEX CONCURRENTLY ON "
              + Quoting.ident(col.table()) + " USING hnsw (" + Quoting.ident(col.column()) + " vector_cosine_ops)");
    }
    if (index.serves() == null) {
      throw new VectorRequestException("index " + index.name() + " uses opclass " + index.opclass() + ", which pgopt does not know");
    }
    DistanceOperator op = index.serves();
    String table = Quoting.ident(col.schema()) + "." + Quoting.ident(col.table());
    String column = Quoting.ident(col.column());
    String cast = col.type() + (col.dimensions() == null ? "" : "(" + col.dimensions() + ")");
    String where = r.filter() == null ? "" : " AND (" + r.filter() + ")";

    long candidates = count(table, column, where);
    if (candidates == 0) {
      throw new VectorRequestException(r.filter() == null
          ? col.qualifiedTable() + " has no rows with a non-NULL " + col.column() + ": load data before tuning"
          : "the filter (" + r.filter() + ") matches no rows with a non-NULL " + col.column());
    }
    List<Query> queries = queries(r, table, column, col, where);
    VectorSettings settings = inv.settings();
    String search = "SELECT " + ROW_ID + ", (" + column + " " + op.symbol() + " ?::" + cast + ")::float8 AS d FROM " + table
        + " WHERE " + column + " IS NOT NULL" + where + " ORDER BY " + column + " " + op.symbol() + " ?::" + cast
        + " LIMIT ? " + VectorInventory.OWN_QUERY_MARK;

    // Ground truth: exact search.
    setLocal("enable_indexscan", "off");
    setLocal("enable_bitmapscan", "off");
    List<List<Hit>> truth = new ArrayList<>();
    long[] exactNanos = new long[queries.size()];
    for (int i = 0; i < queries.size(); i++) {
      long t0 = nanoTime.getAsLong();
      truth.add(run(search, queries.get(i), r.k()));
      exactNanos[i] = nanoTime.getAsLong() - t0;
    }
    setLocal("enable_indexscan", "on");
    setLocal("enable_bitmapscan", "on");
    setLocal("enable_seqscan", "off");

    String knob = index.hnsw() ? "hnsw.ef_search" : "ivfflat.probes";
    List<Integer> sweep = !r.sweep().isEmpty() ? r.sweep()
        : index.hnsw() ? TuneRequest.DEFAULT_EF_SEARCH
        : TuneRequest.DEFAULT_PROBES.stream().filter(p -> p <= index.lists()).toList();
    List<String> modes = r.filter() != null && index.hnsw() && settings.iterativeScan() != null
        ? List.of("off", "relaxed_order", "strict_order") : List.of(settings.iterativeScan() == null ? "n/a" : "off");
    List<SweepPoint> points = new ArrayList<>();
    for (String mode : modes) {
      if (!mode.equals("n/a")) {
        setLocal("hnsw.iterative_scan", mode);
      }
      boolean warmed = false;
      for (int value : sweep) {
        setLocal(knob, Integer.toString(value));
        if (!warmed) {
          for (Query q : queries) {
            run(search, q, r.k());
          }
          warmed = true;
        }
        points.add(measure(search, queries, truth, r.k(), knob, value, mode));
      }
    }
    // The smallest setting (then the least iterative mode) that meets the target without losing rows.
    SweepPoint recommended = points.stream()
        .filter(p -> p.recall() >= r.targetRecall() && p.complete(r.k()))
        .min(java.util.Comparator.comparingInt(SweepPoint::value).thenComparingInt(p -> modes.indexOf(p.iterativeScan())))
        .orElse(null);
    SweepPoint best = points.stream().max((a, b) -> Double.compare(a.recall(), b.recall())).orElseThrow();
    String database = inv.database();
    List<String> apply = new ArrayList<>();
    List<String> advice = new ArrayList<>();
    int searched = annScans(search, queries.get(0), r.k(), index);
    if (col.partitions() > 0) {
      advice.add(partitionAdvice(col, index, searched, r.filter()));
    }
    if (recommended != null) {
      String setting = recommended.setting() + " = " + recommended.value();
      // the recommendation is the pair: the setting and the iterative-scan mode it was measured with
      String iterative = recommended.iterativeScan().equals("off") || recommended.iterativeScan().equals("n/a") ? null
          : "hnsw.iterative_scan = " + recommended.iterativeScan();
      if (r.filter() == null) {
        apply.add("ALTER DATABASE " + Quoting.ident(database) + " SET " + setting + ";");
        if (iterative != null) {
          apply.add("ALTER DATABASE " + Quoting.ident(database) + " SET " + iterative + ";");
        }
        apply.add("ALTER ROLE <application role> IN DATABASE " + Quoting.ident(database) + " SET " + setting + ";");
        if (iterative != null) {
          apply.add("ALTER ROLE <application role> IN DATABASE " + Quoting.ident(database) + " SET " + iterative + ";");
        }
        apply.add("SET LOCAL " + setting + ";   -- per transaction, before the search");
        if (iterative != null) {
          apply.add("SET LOCAL " + iterative + ";");
        }
      } else {
        // Measured for the filtered search only: as a database or role default it would also apply to unfiltered
        // searches, whose recall it was not measured for (a filtered ef_search with iterative scan gave unfiltered
        // recall of 0.80-0.85). Per query, in the search's transaction.
        apply.add("SET LOCAL " + setting + ";   -- in the transaction of each search WHERE " + r.filter());
        apply.add("SET LOCAL hnsw.iterative_scan = " + (iterative == null ? "off" : recommended.iterativeScan()) + ";");
        advice.add("these settings were measured for searches WHERE " + r.filter() + ": set them per query (SET LOCAL,"
            + " as KnnQuery does), not for the database; run vector tune without --filter for database defaults");
      }
    } else {
      advice.add(String.format("recall %.3f is the best measured (%s = %d%s), below the target %.3f", best.recall(),
          best.setting(), best.value(), best.iterativeScan().equals("off") || best.iterativeScan().equals("n/a") ? ""
              : ", iterative scan " + best.iterativeScan(), r.targetRecall()));
      if (index.hnsw()) {
        advice.add("rebuild the index with a denser graph: m = " + Math.min(2 * index.m(), 64) + ", ef_construction = "
            + Math.max(2 * index.efConstruction(), 4 * index.m()) + " (now m = " + index.m() + ", ef_construction = "
            + index.efConstruction() + "), then tune again");
      } else {
        advice.add("raise ivfflat.probes beyond the sweep, or rebuild with lists ≈ rows / 1000 (now " + index.lists() + ")");
      }
      if (r.filter() != null && !best.complete(r.k())) {
        advice.add("filtered searches return fewer than k rows: a partial index for the filter, or iterative scan with a"
            + " higher hnsw.max_scan_tuples, keeps them complete");
      }
    }
    double exactMs = Arrays.stream(exactNanos).average().orElse(0) / 1e6;
    String params = index.hnsw() ? "m = " + index.m() + ", ef_construction = " + index.efConstruction()
        : "lists = " + index.lists();
    return new TuneResult(database, col.schema(), col.table(), col.column(), col.type(),
        col.dimensions() == null ? 0 : col.dimensions(), candidates, index.name(), index.method(), index.opclass(), params,
        r.k(), r.targetRecall(), queries.size(), r.queryVectors().isEmpty() ? "sampled rows (held out)" : "supplied",
        r.filter(), col.partitions(), searched, exactMs, exactMs == 0 ? 0 : 1000 / exactMs, points, recommended, best,
        apply, advice);
  }

  /**
   * A partitioned table without one valid index of its own: CONCURRENTLY does not work on a partitioned table, and its
   * partitions may each have one, which searches through it use but tune measures one at a time.
   */
  private String noPartitionedIndex(VectorColumn col) throws SQLException {
    List<String> indexed = Sql.list(c, """
        SELECT l.relname FROM pg_partition_tree(format('%I.%I', ?, ?)::regclass) pt JOIN pg_class l ON l.oid = pt.relid
         WHERE pt.isleaf AND EXISTS (
           SELECT 1 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam
             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
            WHERE x.indrelid = l.oid AND am.amname IN ('hnsw', 'ivfflat') AND x.indisvalid AND a.attname = ?)
         ORDER BY 1""", rs -> rs.getString(1), col.schema(), col.table(), col.column());
    String table = Quoting.ident(col.schema()) + "." + Quoting.ident(col.table());
    String recipe = "CREATE INDEX " + Quoting.ident(col.table() + "_" + col.column() + "_hnsw") + " ON ONLY " + table
        + " USING hnsw (" + Quoting.ident(col.column()) + " vector_cosine_ops), then for each partition CREATE INDEX"
        + " CONCURRENTLY ... and ALTER INDEX ... ATTACH PARTITION ... (CONCURRENTLY does not work on a partitioned table)";
    return "no valid HNSW or IVFFlat index on the partitioned table " + col.qualifiedTable() + "." + col.column()
        + (indexed.isEmpty() ? ": none of its " + col.partitions() + " partitions has one either; " + recipe
            : ": " + indexed.size() + " of its " + col.partitions() + " partitions have their own, which searches through it"
                + " use; tune one with --table " + col.schema() + "." + indexed.get(0) + ", or give the table one index: "
                + recipe);
  }

  private VectorColumn column(VectorInventory inv, TuneRequest r) throws VectorRequestException, SQLException {
    VectorColumn col = inv.column(r.schema(), r.table(), r.column()).orElse(null);
    if (col != null) {
      if (!col.type().equals("vector") && !col.type().equals("halfvec")) {
        throw new VectorRequestException("tune supports vector and halfvec columns; " + r.table() + "." + r.column() + " is " + col.type());
      }
      return col;
    }
    List<String> type = Sql.list(c, """
        SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = ? AND t.relname = ? AND a.attname = ? AND a.attnum > 0 AND NOT a.attisdropped""",
        rs -> rs.getString(1), r.schema(), r.table(), r.column());
    if (type.isEmpty()) {
      throw new VectorRequestException("no column " + r.schema() + "." + r.table() + "." + r.column()
          + ": check --table (schema.table) and --column");
    }
    throw new VectorRequestException(r.schema() + "." + r.table() + "." + r.column() + " is " + type.get(0)
        + ", not a vector column: tune works on pgvector's vector and halfvec types");
  }

  private long count(String table, String column, String where) throws SQLException, VectorRequestException {
    try {
      return Sql.one(c, "SELECT count(*) FROM " + table + " WHERE " + column + " IS NOT NULL" + where + " "
          + VectorInventory.OWN_QUERY_MARK, rs -> rs.getLong(1));
    } catch (SQLException e) {
      if (e.getSQLState() != null && (e.getSQLState().startsWith("42") || e.getSQLState().startsWith("22"))) {
        throw new VectorRequestException("the filter is not a valid predicate on this table: "
            + e.getMessage().lines().findFirst().orElse("").replaceFirst("^ERROR: ", ""));
      }
      throw e;
    }
  }

  private List<Query> queries(TuneRequest r, String table, String column, VectorColumn col, String where)
      throws SQLException, VectorRequestException {
    if (!r.queryVectors().isEmpty()) {
      List<Query> out = new ArrayList<>();
      for (int i = 0; i < r.queryVectors().size(); i++) {
        String v = r.queryVectors().get(i).strip();
        int dims = v.isEmpty() || v.equals("[]") ? 0 : v.split(",").length;
        if (col.dimensions() != null && dims != col.dimensions()) {
          throw new VectorRequestException("query vector " + (i + 1) + " has " + dims + " dimensions; " + col.column() + " has "
              + col.dimensions());
        }
        out.add(new Query(v, null));
      }
      return out;
    }
    if (r.sampleQueries() < 1) {
      throw new VectorRequestException("--queries must be at least 1");
    }
    // A hash of the row's position and the seed, not random(): parallel workers do not share setseed().
    return Sql.list(c, "SELECT " + column + "::text, " + ROW_ID + " FROM " + table + " WHERE " + column + " IS NOT NULL"
        + where + " ORDER BY md5(" + ROW_ID + " || ?) LIMIT ? " + VectorInventory.OWN_QUERY_MARK,
        rs -> new Query(rs.getString(1), rs.getString(2)), Long.toString(r.seed()), r.sampleQueries());
  }

  /** The k nearest, without the query's own row. */
  private List<Hit> run(String sql, Query q, int k) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, q.vector());
      ps.setString(2, q.vector());
      ps.setInt(3, k + (q.self() == null ? 0 : 1));
      List<Hit> hits = new ArrayList<>(k + 1);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (!rs.getString(1).equals(q.self())) {
            hits.add(new Hit(rs.getString(1), rs.getDouble(2)));
          }
        }
      }
      return hits.size() > k ? hits.subList(0, k) : hits;
    }
  }

  private SweepPoint measure(String sql, List<Query> queries, List<List<Hit>> truth, int k, String knob, int value,
      String mode) throws SQLException {
    long[] nanos = new long[queries.size()];
    double recallSum = 0;
    long rows = 0;
    int minRows = Integer.MAX_VALUE;
    long start = nanoTime.getAsLong();
    for (int i = 0; i < queries.size(); i++) {
      long t0 = nanoTime.getAsLong();
      List<Hit> got = run(sql, queries.get(i), k);
      nanos[i] = nanoTime.getAsLong() - t0;
      rows += got.size();
      minRows = Math.min(minRows, got.size());
      recallSum += recall(truth.get(i), got, k);
    }
    long total = nanoTime.getAsLong() - start;
    Arrays.sort(nanos);
    double mean = Arrays.stream(nanos).average().orElse(0) / 1e6;
    double p95 = nanos[(int) Math.min(nanos.length - 1, Math.ceil(0.95 * nanos.length) - 1)] / 1e6;
    return new SweepPoint(knob, value, mode, recallSum / queries.size(), (double) rows / queries.size(), minRows, mean, p95,
        queries.size() / (total / 1e9));
  }

  /** How many ANN index scans (one per partition searched) the search's plan merges, at the last setting swept. */
  private int annScans(String search, Query q, int k, VectorIndex index) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("EXPLAIN (FORMAT JSON) " + search)) {
      ps.setString(1, q.vector());
      ps.setString(2, q.vector());
      ps.setInt(3, k + 1);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        // the plan's own reader: its index scans, wherever they sit in the tree
        PlanNode root = PlanNode.parse(JSON.readTree(rs.getString(1)).get(0).get("Plan"));
        int[] scans = {0};
        root.walk(n -> {
          if (n.indexName() != null && index.scannedAs(n.indexName())) {
            scans[0]++;
          }
        });
        return scans[0];
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new SQLException("EXPLAIN returned JSON pgopt cannot read: " + e.getMessage(), e);
      }
    }
  }

  private static String partitionAdvice(VectorColumn col, VectorIndex index, int searched, String filter) {
    String where = filter == null ? "each search" : "each search WHERE " + filter;
    if (searched == 1 && col.partitions() > 1) {
      return where + " is pruned to 1 of the " + col.partitions() + " partitions: one graph is walked, as in a table of"
          + " that partition's size";
    }
    String said = String.format("%s walks %d of the %d partitions' graphs (one index scan each, merged by distance):"
        + " its cost grows with the partitions searched", where, searched, col.partitions());
    return searched > 1 ? said + "; a filter on the partition key (" + String.join(", ", index.partitionKey())
        + ") prunes it to the partitions it needs: tune again with --filter to measure that" : said;
  }

  /** ann-benchmarks' recall: results within the k-th true distance, over k (or over fewer when the truth has fewer). */
  static double recall(List<Hit> truth, List<Hit> got, int k) {
    if (truth.isEmpty()) {
      return 1;
    }
    double threshold = truth.get(truth.size() - 1).distance() + EPSILON;
    long within = got.stream().filter(h -> h.distance() <= threshold).count();
    return Math.min(1.0, (double) within / Math.min(k, truth.size()));
  }

  private void setLocal(String name, String value) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET LOCAL " + name + " = '" + value.replace("'", "''") + "'");
    }
  }

}
