package dev.pgopt.embed;

import dev.pgopt.sample.EmbeddingFiller;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.postgresql.PGConnection;

/**
 * Fills {@code repositories.embedding} of the sample dataset with real embeddings of "name: description". Resumable:
 * only rows still NULL are done, in committed chunks; embeddings come from the machine's cache when present.
 */
public final class SampleEmbeddings implements EmbeddingFiller {
  private static final int CHUNK = 4096;

  /** For {@link java.util.ServiceLoader}. */
  public SampleEmbeddings() {}

  @Override
  public Result fill(Connection c, Path cacheDir, Consumer<String> progress) throws SQLException, IOException {
    long start = System.nanoTime();
    EmbeddingCache cache = EmbeddingCache.open(cacheDir.resolve("embeddings"));
    SentenceEmbedder embedder = null;
    long rows = 0;
    long computed = 0;
    long cached = 0;
    c.setAutoCommit(false);
    long total;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM repositories WHERE embedding IS NULL")) {
      rs.next();
      total = rs.getLong(1);
    }
    c.commit();
    while (true) {
      List<Long> ids = new ArrayList<>(CHUNK);
      List<String> texts = new ArrayList<>(CHUNK);
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
          "SELECT id, name || ': ' || description FROM repositories WHERE embedding IS NULL ORDER BY id LIMIT " + CHUNK)) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
          texts.add(rs.getString(2));
        }
      }
      if (ids.isEmpty()) {
        break;
      }
      Map<String, float[]> fresh = new LinkedHashMap<>();
      Set<String> unique = new LinkedHashSet<>();
      for (String t : texts) {
        if (cache.get(EmbeddingCache.key(t)) == null) {
          unique.add(t);
        }
      }
      List<String> missing = new ArrayList<>(unique);
      if (!missing.isEmpty()) {
        if (embedder == null) {
          embedder = new SentenceEmbedder(cacheDir);
        }
        List<float[]> vectors = embedder.embed(missing);
        for (int i = 0; i < missing.size(); i++) {
          fresh.put(EmbeddingCache.key(missing.get(i)), vectors.get(i));
        }
        cache.putAll(fresh);
      }
      StringBuilder copy = new StringBuilder(ids.size() * 4200);
      for (int i = 0; i < ids.size(); i++) {
        String k = EmbeddingCache.key(texts.get(i));
        if (fresh.containsKey(k)) {
          computed++;
        } else {
          cached++;
        }
        copy.append(ids.get(i)).append('\t').append(text(cache.get(k))).append('\n');
      }
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TEMP TABLE IF NOT EXISTS pgopt_embeddings (id bigint PRIMARY KEY, embedding vector(384))"
            + " ON COMMIT DELETE ROWS");
      }
      c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY pgopt_embeddings FROM STDIN", new StringReader(copy.toString()));
      try (Statement s = c.createStatement()) {
        s.executeUpdate("UPDATE repositories r SET embedding = e.embedding FROM pgopt_embeddings e WHERE r.id = e.id");
      }
      c.commit();
      rows += ids.size();
      progress.accept(String.format("  embedded %,d of %,d repositories (%,d computed, %,d from the cache)", rows, total,
          computed, cached));
    }
    c.setAutoCommit(true);
    try (Statement s = c.createStatement()) {
      s.execute("VACUUM (ANALYZE) repositories");
    }
    return new Result(rows, computed, cached, (System.nanoTime() - start) / 1e9);
  }

  static String text(float[] v) {
    StringBuilder sb = new StringBuilder(v.length * 11);
    sb.append('[');
    for (int i = 0; i < v.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(v[i]);
    }
    return sb.append(']').toString();
  }
}
