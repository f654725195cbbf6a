package dev.pgopt.vector.build;

import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.IndexDefinition;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import dev.pgopt.vector.VectorRequestException;
import dev.pgopt.vector.inspect.DistanceOperator;
import dev.pgopt.vector.inspect.PgvectorMissingException;
import dev.pgopt.vector.inspect.VectorColumn;
import dev.pgopt.vector.inspect.VectorInventory;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How to build one HNSW or IVFFlat index: the expected size (from rows, dimensions and m, packed into 8 kB pages as
 * pgvector stores elements and their neighbour lists), the session's maintenance_work_mem so the graph is built in
 * memory, parallel workers, and warnings. It becomes an action that {@code dev.pgopt.apply.Applier} runs with
 * CONCURRENTLY, lock timeouts, the audit log, progress and a validity check.
 */
public record IndexBuildPlan(String schema, String table, String column, String method, String opclass, Map<String, Integer> parameters,
    String indexName, long rows, long expectedBytes, long maintenanceWorkMemBytes, int workers, List<String> warnings,
    String sql) {

  /** What to build. */
  public record Request(String schema, String table, String column, String method, DistanceOperator distance, Integer m,
      Integer efConstruction, Integer lists, String indexName, long memoryCapBytes, int workers) {}

  private static final int PAGE = 8192;
  private static final int PAGE_OVERHEAD = 24 + 16;

  public static IndexBuildPlan plan(Connection c, Request r) throws SQLException, VectorRequestException, PgvectorMissingException {
    if (!r.method().equals("hnsw") && !r.method().equals("ivfflat")) {
      throw new VectorRequestException("--method must be hnsw or ivfflat, not '" + r.method() + "'");
    }
    if (r.workers() < 0 || r.workers() > 32) {
      throw new VectorRequestException("--workers must be from 0 to 32, got " + r.workers());
    }
    VectorInventory inv = VectorInventory.readCatalog(c);
    VectorColumn col = inv.column(r.schema(), r.table(), r.column()).orElseThrow(() -> new VectorRequestException(
        "no vector column " + r.schema() + "." + r.table() + "." + r.column() + ": check --table (schema.table) and --column"));
    if (col.dimensions() == null) {
      throw new VectorRequestException(col.qualifiedTable() + "." + col.column() + " has no fixed dimensions (declare it as "
          + col.type() + "(n)): ANN indexes need them");
    }
    String opclass = r.distance().opclassFor(col.type());
    Map<String, Integer> params = new LinkedHashMap<>();
    List<String> warnings = new ArrayList<>();
    long rows = Math.max(col.rows(), Sql.one(c, "SELECT count(*) FROM " + qualified(col) + " WHERE "
        + Quoting.ident(col.column()) + " IS NOT NULL", rs -> rs.getLong(1)));
    int bytesPerDim = col.type().equals("halfvec") ? 2 : col.type().equals("bit") ? 0 : 4;
    long valueBytes = col.type().equals("bit") ? (col.dimensions() + 7) / 8 + 8 : (long) col.dimensions() * bytesPerDim + 8;
    long expected;
    if (r.method().equals("hnsw")) {
      int m = r.m() == null ? 16 : r.m();
      int efc = r.efConstruction() == null ? 64 : r.efConstruction();
      if (m < 2 || m > 100) {
        throw new VectorRequestException("--m must be from 2 to 100 (pgvector's range), got " + m);
      }
      if (efc < 2 * m || efc > 1000) {
        throw new VectorRequestException("--ef-construction must be at least 2·m = " + (2 * m) + " and at most 1000, got " + efc);
      }
      params.put("m", m);
      params.put("ef_construction", efc);
      // element tuple (value + header) and its layer-0 neighbour list (2·m item pointers) share a page
      long item = valueBytes + 24 + (2L * m * 6 + 16) + 8;
      long perPage = Math.max(1, (PAGE - PAGE_OVERHEAD) / item);
      expected = (long) Math.ceil((double) rows / perPage) * PAGE;
      expected += expected / 20; // upper layers: on the sample embeddings this lands within 10 % of the real size
    } else {
      int lists = r.lists() == null ? (int) Math.max(1, rows <= 1_000_000 ? rows / 1000 : Math.round(Math.sqrt(rows))) : r.lists();
      if (lists < 1 || lists > 32768) {
        throw new VectorRequestException("--lists must be from 1 to 32768, got " + lists);
      }
      params.put("lists", lists);
      long item = valueBytes + 24 + 8;
      long perPage = Math.max(1, (PAGE - PAGE_OVERHEAD) / item);
      expected = (long) Math.ceil((double) rows / perPage) * PAGE + (long) lists * PAGE;
    }
    long want = roundUpMb((long) (expected * 1.25));
    long current = inv.settings().maintenanceWorkMemBytes();
    long mwm = Math.max(current, Math.min(want, r.memoryCapBytes()));
    if (r.method().equals("hnsw") && want > mwm) {
      warnings.add("the graph (about " + Units.bytes(expected) + ") will not fit in maintenance_work_mem = " + Units.bytes(mwm)
          + ": pgvector switches to a much slower on-disk build; raise --max-memory if the server has the RAM");
    }
    int workers = r.workers();
    if (r.method().equals("hnsw") && workers > 0 && !inv.versionWarnings().isEmpty()
        && inv.versionWarnings().get(0).contains("parallel HNSW")) {
      warnings.add("pgvector " + inv.pgvectorVersion() + " can overflow in parallel HNSW builds (fixed in 0.8.2): building"
          + " with max_parallel_maintenance_workers = 0");
      workers = 0;
    }
    if (rows == 0) {
      warnings.add(col.qualifiedTable() + " has no vectors yet: " + (r.method().equals("ivfflat")
          ? "IVFFlat lists are learned from the data present at build time; build it after loading"
          : "the index will fill as rows arrive"));
    }
    String name = r.indexName() != null ? r.indexName() : col.table() + "_" + col.column() + "_" + r.method();
    if (!Sql.list(c, "SELECT 1 FROM pg_class i JOIN pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = ? AND i.relname = ?",
        rs -> 1, col.schema(), name).isEmpty()) {
      throw new VectorRequestException("an index or relation named " + col.schema() + "." + name + " already exists: choose --name");
    }
    String with = String.join(", ", params.entrySet().stream().map(e -> e.getKey() + " = " + e.getValue()).toList());
    String sql = "SET maintenance_work_mem = '" + (mwm / (1024 * 1024)) + "MB';\n"
        + "SET max_parallel_maintenance_workers = " + workers + ";\n"
        + IndexDefinition.of(col.schema(), col.table(), name, List.of(IndexDefinition.column(col.column(), opclass)))
            .using(r.method()).with(with).create();
    return new IndexBuildPlan(col.schema(), col.table(), col.column(), r.method(), opclass, params, name, rows, expected, mwm,
        workers, warnings, sql);
  }

  private static long roundUpMb(long bytes) {
    long mb = 1024L * 1024;
    return Math.max(mb, (bytes + mb - 1) / mb * mb);
  }

  private static String qualified(VectorColumn c) {
    return Quoting.ident(c.schema()) + "." + Quoting.ident(c.table());
  }

  /** The plan as an action for the applier (audit log, lock timeouts, validity check, progress). */
  public Finding asFinding() {
    return new Finding("vector.build_index:" + schema + "." + indexName, "vector.build_index", Severity.INFO,
        new DbObject(schema, table, indexName, List.of(column)), "build " + method + " index " + indexName,
        Map.of("rows", rows, "expected_bytes", expectedBytes), Map.of("size_bytes", expectedBytes), Confidence.HEURISTIC,
        new Action(sql, IndexDefinition.drop(schema, indexName), true, IndexDefinition.LOCKS, "low"));
  }
}
