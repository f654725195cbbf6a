package dev.pgopt.vector.tune;

import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import dev.pgopt.vector.VectorRequestException;
import dev.pgopt.vector.inspect.DistanceOperator;
import dev.pgopt.vector.inspect.PgvectorMissingException;
import dev.pgopt.vector.inspect.VectorColumn;
import dev.pgopt.vector.inspect.VectorIndex;
import dev.pgopt.vector.inspect.VectorInventory;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * {@code tune --build}: compares HNSW build parameters (m, ef_construction) on a sample of the column. The sample goes
 * into a private unlogged table, each candidate index is built there (timed, measured) and swept like {@code tune}
 * does, then dropped; the table is dropped at the end whatever happens. Absolute recall on a sample is higher than on
 * the full table, so read the results side by side, not as promises for production.
 */
public final class BuildComparison {
  /** One candidate's measurements. */
  public record Candidate(int m, int efConstruction, double buildSeconds, long sizeBytes, TuneResult sweep) {}

  private final Connection c;
  private final LongSupplier nanoTime;
  private final Consumer<String> log;

  public BuildComparison(Connection c, LongSupplier nanoTime, Consumer<String> log) {
    this.c = c;
    this.nanoTime = nanoTime;
    this.log = log;
  }

  /** @param candidates pairs {m, ef_construction} */
  public List<Candidate> run(TuneRequest r, List<int[]> candidates, int sampleRows, long maintenanceWorkMemBytes)
      throws SQLException, VectorRequestException, PgvectorMissingException {
    if (candidates.isEmpty()) {
      throw new VectorRequestException("--build needs at least one m:ef_construction pair, e.g. --build 16:64,32:128");
    }
    for (int[] p : candidates) {
      if (p[0] < 2 || p[0] > 100 || p[1] < 2 * p[0] || p[1] > 1000) {
        throw new VectorRequestException("--build " + p[0] + ":" + p[1] + ": m must be 2-100 and ef_construction from 2·m to 1000");
      }
    }
    if (sampleRows < 100) {
      throw new VectorRequestException("--build-sample must be at least 100 rows, got " + sampleRows);
    }
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(true);
    VectorInventory inv = VectorInventory.readCatalog(c);
    VectorColumn col = inv.column(r.schema(), r.table(), r.column()).orElseThrow(() -> new VectorRequestException(
        "no vector column " + r.schema() + "." + r.table() + "." + r.column()));
    if (!col.type().equals("vector") && !col.type().equals("halfvec")) {
      throw new VectorRequestException("--build supports vector and halfvec columns; " + r.column() + " is " + col.type());
    }
    DistanceOperator op = inv.indexes().stream()
        .filter(i -> i.schema().equals(col.schema()) && i.table().equals(col.table()) && col.column().equals(i.column()))
        .map(VectorIndex::serves).filter(o -> o != null).findFirst().orElse(DistanceOperator.COSINE);
    String sample = "pgopt_tune_build_" + Sql.one(c, "SELECT pg_backend_pid()", rs -> rs.getInt(1));
    String cast = col.type() + (col.dimensions() == null ? "" : "(" + col.dimensions() + ")");
    List<Candidate> out = new ArrayList<>();
    try (Statement s = c.createStatement()) {
      s.execute("CREATE UNLOGGED TABLE public." + sample + " AS SELECT " + Quoting.ident(col.column()) + "::" + cast
          + " AS embedding FROM " + Quoting.ident(col.schema()) + "." + Quoting.ident(col.table()) + " WHERE "
          + Quoting.ident(col.column()) + " IS NOT NULL" + (r.filter() == null ? "" : " AND (" + r.filter() + ")")
          + " ORDER BY md5(ctid::text || '" + r.seed() + "') LIMIT " + sampleRows);
      s.execute("ANALYZE " + sample);
      s.execute("SET maintenance_work_mem = '" + Math.max(64, maintenanceWorkMemBytes / (1024 * 1024)) + "MB'");
      s.execute("SET max_parallel_maintenance_workers = 0");
      for (int[] p : candidates) {
        String index = sample + "_m" + p[0] + "_ef" + p[1];
        log.accept("  building m = " + p[0] + ", ef_construction = " + p[1] + " on " + sampleRows + " sampled rows...");
        long t0 = nanoTime.getAsLong();
        s.execute("CREATE INDEX " + index + " ON " + sample + " USING hnsw (embedding " + op.opclassFor(col.type())
            + ") WITH (m = " + p[0] + ", ef_construction = " + p[1] + ")");
        double seconds = (nanoTime.getAsLong() - t0) / 1e9;
        long size = Sql.one(c, "SELECT pg_relation_size(?::regclass)", rs -> rs.getLong(1), index);
        c.setAutoCommit(false);
        TuneResult sweep;
        try {
          sweep = new RecallSweep(c, nanoTime).run(new TuneRequest("public", sample, "embedding", r.k(), r.targetRecall(),
              r.sampleQueries(), r.queryVectors(), null, r.sweep(), r.seed()));
        } finally {
          c.rollback();
          c.setAutoCommit(true);
        }
        out.add(new Candidate(p[0], p[1], seconds, size, sweep));
        s.execute("DROP INDEX " + index);
      }
    } finally {
      c.setAutoCommit(true);
      try (Statement s = c.createStatement()) {
        s.execute("DROP TABLE IF EXISTS " + sample);
        s.execute("RESET maintenance_work_mem");
        s.execute("RESET max_parallel_maintenance_workers");
      }
      c.setAutoCommit(auto);
    }
    return out;
  }
}
