package dev.pgopt.bench.lifecycle;

import dev.pgopt.bench.BenchServers;
import dev.pgopt.bench.SyntheticVectors;
import dev.pgopt.vector.tune.RecallSweep;
import dev.pgopt.vector.tune.SweepPoint;
import dev.pgopt.vector.tune.TuneRequest;
import dev.pgopt.vector.tune.TuneResult;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One index or one per partition (docs/benchmarks/partitioning.md, "Vector tables"): the same clustered vectors, a year
 * of {@code created_at}, in a plain table with one HNSW index and in a table of 12 monthly partitions with an HNSW
 * index each. Measures both builds, then {@code vector tune}'s sweep on both for searches over everything and for
 * searches of the newest month, with the same query vectors (table rows moved by a little noise, so no query finds
 * itself). Starts its own PostgreSQL.
 *
 * <p>Usage: {@code VectorPartitionBench [rows] [dims] [queries]} (defaults 60,000, 64, 200).
 */
public final class VectorPartitionBench {
  private VectorPartitionBench() {}

  private static final List<Integer> SWEEP = List.of(10, 20, 40, 80, 160);

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 60_000;
    int dims = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    int queries = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    try (BenchServers servers = BenchServers.start(false); Connection c = servers.connect()) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE EXTENSION vector");
      }
      SyntheticVectors.main(new String[] {servers.url(), "staging", Integer.toString(rows), Integer.toString(dims), "200", "42"});
      try (Statement s = c.createStatement()) {
        // A year of rows, spread evenly: the newest month holds about a twelfth of them.
        s.execute("CREATE TABLE single AS SELECT id, timestamptz '2026-01-01' + (id % 365) * interval '1 day' AS created_at,"
            + " embedding FROM staging ORDER BY id");
        s.execute("CREATE TABLE parted (id bigint NOT NULL, created_at timestamptz NOT NULL, embedding vector(" + dims + "))"
            + " PARTITION BY RANGE (created_at)");
        for (int m = 1; m <= 12; m++) {
          s.execute(String.format("CREATE TABLE parted_%02d PARTITION OF parted FOR VALUES FROM ('2026-%02d-01') TO (%s)", m, m,
              m == 12 ? "'2027-01-01'" : String.format("'2026-%02d-01'", m + 1)));
        }
        s.execute("INSERT INTO parted SELECT * FROM single");
        s.execute("VACUUM ANALYZE single");
        s.execute("VACUUM ANALYZE parted");
        // pgvector 0.8.0's parallel HNSW build has a known overflow; both builds serial, with memory for the graph
        s.execute("SET maintenance_work_mem = '2GB'");
        s.execute("SET max_parallel_maintenance_workers = 0");
        System.out.printf("%,d vectors of %d dimensions (200 clusters), created_at over 2026; parted: 12 monthly partitions%n",
            rows, dims);
        for (String t : List.of("single", "parted")) {
          long t0 = System.nanoTime();
          s.execute("CREATE INDEX " + t + "_hnsw ON " + t + " USING hnsw (embedding vector_cosine_ops)");
          System.out.printf("build %-7s %6.1f s, index %s%n", t, (System.nanoTime() - t0) / 1e9,
              text(c, "SELECT pg_size_pretty(coalesce((SELECT sum(pg_relation_size(relid)) FROM pg_partition_tree('" + t
                  + "_hnsw') WHERE isleaf), pg_relation_size('" + t + "_hnsw')))"));
        }
      }
      List<String> vectors = queryVectors(c, queries);
      String newest = "created_at >= '2026-12-01'";
      System.out.println();
      System.out.printf("%-8s %-26s %-22s %8s %8s %8s %6s%n", "table", "searches", "setting", "recall", "mean ms", "p95 ms",
          "rows");
      for (String filter : new String[] {null, newest}) {
        for (String t : List.of("single", "parted")) {
          TuneResult r = tune(c, new TuneRequest("public", t, "embedding", 10, 0.95, queries, vectors, filter, SWEEP, 7));
          String label = filter == null ? "all rows" : "newest month";
          System.out.printf("%-8s %-26s %-22s %8s %8.3f %8s %6s%n", t, label + ", scans " + r.partitionsSearched(), "exact",
              "1.000", r.exactMeanMs(), "", "");
          for (SweepPoint p : r.points()) {
            System.out.printf("%-8s %-26s %-22s %8.3f %8.3f %8.3f %6.1f%s%n", t, "", "ef " + p.value()
                + (p.iterativeScan().equals("off") || p.iterativeScan().equals("n/a") ? "" : " " + p.iterativeScan()),
                p.recall(), p.meanMs(), p.p95Ms(), p.meanRows(), p.equals(r.recommended()) ? "  <- recommended" : "");
          }
        }
      }
    }
  }

  private static TuneResult tune(Connection c, TuneRequest r) throws Exception {
    c.setAutoCommit(false);
    c.setReadOnly(true);
    try {
      return new RecallSweep(c, System::nanoTime).run(r);
    } finally {
      c.rollback();
      c.setReadOnly(false);
      c.setAutoCommit(true);
    }
  }

  /** Rows of the table moved by Gaussian noise (σ 0.05 per dimension) and normalized: near data, never on it. */
  private static List<String> queryVectors(Connection c, int n) throws SQLException {
    SplittableRandom random = new SplittableRandom(11);
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT embedding::text FROM staging ORDER BY md5(id::text) LIMIT " + n)) {
      while (rs.next()) {
        String[] parts = rs.getString(1).replaceAll("[\\[\\]]", "").split(",");
        double[] v = new double[parts.length];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
          v[i] = Double.parseDouble(parts[i]) + 0.05 * random.nextGaussian();
          norm += v[i] * v[i];
        }
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
          sb.append(i == 0 ? "" : ",").append((float) (v[i] / Math.sqrt(norm)));
        }
        out.add(sb.append(']').toString());
      }
    }
    return out;
  }

  private static String text(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
