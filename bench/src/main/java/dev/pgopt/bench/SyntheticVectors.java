package dev.pgopt.bench;

import dev.pgopt.client.bulk.VectorCopy;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.SessionOptions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Iterator;
import java.util.SplittableRandom;

/**
 * Clustered synthetic vectors for scale benchmarks, deterministic per seed: {@code clusters} centres drawn from a unit
 * Gaussian, each point a centre plus Gaussian noise (σ = 0.35 per dimension), normalized to unit length like sentence
 * embeddings, loaded with COPY BINARY into {@code table (id bigint primary key, embedding vector(dims))}.
 * Usage: {@code SyntheticVectors URL TABLE [rows] [dims] [clusters] [seed]} (defaults 1,000,000 × 384, 1,000 clusters,
 * seed 42). URLs as the pgopt command reads them (~/.pgpass, PGPASSFILE).
 */
public final class SyntheticVectors {
  public static void main(String[] args) throws Exception {
    String url = args[0];
    String table = args[1];
    long rows = args.length > 2 ? Long.parseLong(args[2]) : 1_000_000;
    int dims = args.length > 3 ? Integer.parseInt(args[3]) : 384;
    int clusters = args.length > 4 ? Integer.parseInt(args[4]) : 1000;
    long seed = args.length > 5 ? Long.parseLong(args[5]) : 42;
    DatabaseTarget target = DatabaseTarget.parse(url, Environment.system());
    SplittableRandom random = new SplittableRandom(seed);
    float[][] centres = new float[clusters][dims];
    for (float[] c : centres) {
      for (int d = 0; d < dims; d++) {
        c[d] = (float) random.nextGaussian();
      }
    }
    try (Connection c = Connections.open(target, SessionOptions.defaults().withStatementTimeout(Duration.ofHours(2)));
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + table);
      s.execute("CREATE TABLE " + table + " (id bigint PRIMARY KEY, embedding vector(" + dims + "))");
      c.setAutoCommit(false);
      long t0 = System.nanoTime();
      Iterable<VectorCopy.Row> data = () -> new Iterator<>() {
        long next = 1;

        @Override
        public boolean hasNext() {
          return next <= rows;
        }

        @Override
        public VectorCopy.Row next() {
          float[] centre = centres[random.nextInt(clusters)];
          float[] v = new float[dims];
          double norm = 0;
          for (int d = 0; d < dims; d++) {
            v[d] = (float) (centre[d] + 0.35 * random.nextGaussian());
            norm += v[d] * v[d];
          }
          float inv = (float) (1 / Math.sqrt(norm));
          for (int d = 0; d < dims; d++) {
            v[d] *= inv;
          }
          return new VectorCopy.Row(next++, v);
        }
      };
      long loaded = VectorCopy.rows(c, table, "id", "embedding", data);
      c.commit();
      c.setAutoCommit(true);
      s.execute("VACUUM ANALYZE " + table);
      System.out.printf("loaded %,d synthetic vectors (%d dims, %d clusters, seed %d) into %s in %.1f s%n", loaded, dims,
          clusters, seed, table, (System.nanoTime() - t0) / 1e9);
    }
  }
}
