package dev.pgopt.bench;

import com.pgvector.PGvector;
import dev.pgopt.client.bulk.BatchInsert;
import dev.pgopt.client.bulk.VectorCopy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;

/**
 * Loading vectors: COPY BINARY (VectorCopy) against batched INSERT (500 rows per batch, pgjdbc's
 * reWriteBatchedInserts on, vectors as binary-capable PGvector parameters), same rows, same server, three rounds each.
 * Usage: {@code VectorLoad [rows] [dimensions]} (defaults 50,000 × 384).
 */
public final class VectorLoad {
  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int dims = args.length > 1 ? Integer.parseInt(args[1]) : 384;
    SplittableRandom random = new SplittableRandom(7);
    List<VectorCopy.Row> data = new ArrayList<>(rows);
    for (long id = 1; id <= rows; id++) {
      float[] v = new float[dims];
      for (int d = 0; d < dims; d++) {
        v[d] = (float) random.nextGaussian();
      }
      data.add(new VectorCopy.Row(id, v));
    }
    try (BenchServers servers = BenchServers.start(false)) {
      Properties p = new Properties();
      p.setProperty("user", BenchServers.USER);
      p.setProperty("password", BenchServers.PASSWORD);
      p.setProperty("reWriteBatchedInserts", "true");
      try (Connection c = DriverManager.getConnection(servers.jdbcUrl(), p); Statement s = c.createStatement()) {
        s.execute("CREATE EXTENSION IF NOT EXISTS vector");
        System.out.printf("loading %,d vectors of %d dimensions, 3 rounds each%n", rows, dims);
        for (int round = 1; round <= 3; round++) {
          s.execute("DROP TABLE IF EXISTS v_copy, v_insert");
          s.execute("CREATE TABLE v_copy (id bigint PRIMARY KEY, embedding vector(" + dims + "))");
          s.execute("CREATE TABLE v_insert (id bigint PRIMARY KEY, embedding vector(" + dims + "))");
          c.setAutoCommit(false);
          long t0 = System.nanoTime();
          VectorCopy.rows(c, "v_copy", "id", "embedding", data);
          c.commit();
          double copy = (System.nanoTime() - t0) / 1e9;
          t0 = System.nanoTime();
          BatchInsert.rows(c, "INSERT INTO v_insert (id, embedding) VALUES (?, ?)", data, 500, (ps, r) -> {
            ps.setLong(1, r.id());
            ps.setObject(2, new PGvector(r.vector()));
          });
          c.commit();
          double insert = (System.nanoTime() - t0) / 1e9;
          c.setAutoCommit(true);
          System.out.printf("round %d: COPY BINARY %.2f s (%,.0f rows/s), batched INSERT %.2f s (%,.0f rows/s): COPY %.1fx faster%n",
              round, copy, rows / copy, insert, rows / insert, insert / copy);
        }
      }
    }
  }
}
