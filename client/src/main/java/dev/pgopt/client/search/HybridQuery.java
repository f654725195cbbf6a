package dev.pgopt.client.search;

import com.pgvector.PGvector;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Hybrid search: the nearest rows by vector and the best rows by full text, each its own candidate list (both sides
 * search the whole table under the same filter), fused in the application. Unlike ranking text only inside the vector
 * candidates, a row that only full text finds still makes the result. The vector side raises {@code hnsw.ef_search} to the
 * number of candidates and, with a filter, turns on pgvector's iterative scan, for its transaction only (the caller's
 * when autocommit is off, else its own).
 *
 * <pre>{@code
 * List<HybridHit<Repo>> hits = HybridQuery.on("repositories", "id", "embedding", Distance.COSINE,
 *         "to_tsvector('english', description)", rs -> new Repo(rs.getLong("id"), rs.getString("name")))
 *     .select("id, name").where("language = ?", "Python").candidates(50).limit(10)
 *     .run(conn, queryVector, "fast json parser");
 * }</pre>
 */
public final class HybridQuery<T> {
  private final String table;
  private final String idColumn;
  private final String vectorColumn;
  private final Distance distance;
  private final String document;
  private final RowMapper<T> mapper;
  private String select = "*";
  private String filter;
  private Object[] filterParams = new Object[0];
  private int candidates = 50;
  private int k = 10;
  private String language = "english";
  private Fusion fusion = Fusion.reciprocalRank();

  private HybridQuery(String table, String idColumn, String vectorColumn, Distance distance, String document,
      RowMapper<T> mapper) {
    this.table = Identifiers.check("table", table);
    this.idColumn = Identifiers.check("id column", idColumn);
    this.vectorColumn = Identifiers.check("vector column", vectorColumn);
    this.distance = Objects.requireNonNull(distance);
    this.document = Objects.requireNonNull(document);
    this.mapper = Objects.requireNonNull(mapper);
  }

  /**
   * @param document the tsvector to match: a tsvector column, or an expression such as {@code to_tsvector('english',
   *     body)} (give it a GIN index on the same expression)
   */
  public static <T> HybridQuery<T> on(String table, String idColumn, String vectorColumn, Distance distance,
      String document, RowMapper<T> mapper) {
    return new HybridQuery<>(table, idColumn, vectorColumn, distance, document, mapper);
  }

  public HybridQuery<T> select(String columns) {
    this.select = Objects.requireNonNull(columns);
    return this;
  }

  public HybridQuery<T> where(String predicate, Object... params) {
    this.filter = predicate;
    this.filterParams = params.clone();
    return this;
  }

  /** Candidates taken from each side before fusing (default 50). */
  public HybridQuery<T> candidates(int n) {
    if (n < 1 || n > 10_000) {
      throw new IllegalArgumentException("candidates must be between 1 and 10000, got " + n);
    }
    this.candidates = n;
    return this;
  }

  public HybridQuery<T> limit(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    this.k = k;
    return this;
  }

  /** The text search configuration for the query text (default english). */
  public HybridQuery<T> language(String config) {
    this.language = Identifiers.check("text search configuration", config);
    return this;
  }

  public HybridQuery<T> fusion(Fusion fusion) {
    this.fusion = Objects.requireNonNull(fusion);
    return this;
  }

  public List<HybridHit<T>> run(Connection c, float[] queryVector, String queryText) throws SQLException {
    return AnnScan.inTransaction(c, () -> search(c, new PGvector(queryVector), queryText));
  }

  private List<HybridHit<T>> search(Connection c, PGvector q, String queryText) throws SQLException {
    // the vector side asks for `candidates` rows: without this an HNSW scan returns at most ef_search (40), and
    // under a selective filter almost none
    AnnScan.prepare(c, candidates, filter != null);
    String where = filter == null ? "" : " AND (" + filter + ")";
    Map<Object, Double> vectorSide = side(c, "SELECT " + idColumn + ", (" + vectorColumn + " " + distance.operator()
        + " ?)::float8 FROM " + table + " WHERE " + vectorColumn + " IS NOT NULL" + where + " ORDER BY " + vectorColumn + " "
        + distance.operator() + " ? LIMIT ?", q, null);
    Map<Object, Double> textSide = queryText == null || queryText.isBlank() ? Map.of()
        : side(c, "SELECT " + idColumn + ", ts_rank_cd(" + document + ", query)::float8 AS r FROM " + table
            + ", websearch_to_tsquery('" + language + "', ?) query WHERE " + document + " @@ query" + where
            + " ORDER BY r DESC LIMIT ?", null, queryText);
    Map<Object, double[]> scored = fuse(vectorSide, textSide);
    List<Map.Entry<Object, double[]>> ranked = new ArrayList<>(scored.entrySet());
    ranked.sort((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]));
    if (ranked.size() > k) {
      ranked = ranked.subList(0, k);
    }
    Map<Object, T> rows = rows(c, ranked.stream().map(Map.Entry::getKey).toList());
    List<HybridHit<T>> out = new ArrayList<>(ranked.size());
    for (Map.Entry<Object, double[]> e : ranked) {
      out.add(new HybridHit<>(rows.get(e.getKey()), e.getValue()[0], (int) e.getValue()[1], (int) e.getValue()[2]));
    }
    return out;
  }

  /** score, vector rank, text rank per id. Distances: smaller is better; text ranks: larger is better. */
  private Map<Object, double[]> fuse(Map<Object, Double> vectorSide, Map<Object, Double> textSide) {
    Map<Object, double[]> out = new LinkedHashMap<>();
    int rank = 0;
    for (Object id : vectorSide.keySet()) {
      out.computeIfAbsent(id, x -> new double[3])[1] = ++rank;
    }
    rank = 0;
    for (Object id : textSide.keySet()) {
      out.computeIfAbsent(id, x -> new double[3])[2] = ++rank;
    }
    if (fusion instanceof Fusion.ReciprocalRank rrf) {
      for (double[] v : out.values()) {
        v[0] = (v[1] > 0 ? 1.0 / (rrf.k() + v[1]) : 0) + (v[2] > 0 ? 1.0 / (rrf.k() + v[2]) : 0);
      }
    } else if (fusion instanceof Fusion.Weighted w) {
      double dMin = vectorSide.values().stream().mapToDouble(Double::doubleValue).min().orElse(0);
      double dMax = vectorSide.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
      double tMin = textSide.values().stream().mapToDouble(Double::doubleValue).min().orElse(0);
      double tMax = textSide.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
      for (Map.Entry<Object, double[]> e : out.entrySet()) {
        Double d = vectorSide.get(e.getKey());
        Double t = textSide.get(e.getKey());
        double similarity = d == null ? 0 : dMax == dMin ? 1 : (dMax - d) / (dMax - dMin);
        double text = t == null ? 0 : tMax == tMin ? 1 : (t - tMin) / (tMax - tMin);
        e.getValue()[0] = w.vectorWeight() * similarity + (1 - w.vectorWeight()) * text;
      }
    }
    return out;
  }

  private Map<Object, Double> side(Connection c, String sql, PGvector q, String text) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      if (q != null) {
        ps.setObject(i++, q);
      } else {
        ps.setString(i++, text);
      }
      for (Object p : filterParams) {
        ps.setObject(i++, p);
      }
      if (q != null) {
        ps.setObject(i++, q);
      }
      ps.setInt(i, candidates);
      Map<Object, Double> out = new LinkedHashMap<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getObject(1), rs.getDouble(2));
        }
      }
      return out;
    }
  }

  private Map<Object, T> rows(Connection c, List<Object> ids) throws SQLException {
    Map<Object, T> out = new HashMap<>();
    if (ids.isEmpty()) {
      return out;
    }
    String sql = "SELECT " + select + ", " + idColumn + " AS pgopt_id FROM " + table + " WHERE " + idColumn + " = ANY (?)";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      Array arr = c.createArrayOf(arrayType(ids.get(0)), ids.toArray());
      ps.setArray(1, arr);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getObject("pgopt_id"), mapper.map(rs));
        }
      }
    }
    return out;
  }

  private static String arrayType(Object id) {
    if (id instanceof Long) {
      return "int8";
    }
    if (id instanceof Integer) {
      return "int4";
    }
    if (id instanceof java.util.UUID) {
      return "uuid";
    }
    return "text";
  }
}
