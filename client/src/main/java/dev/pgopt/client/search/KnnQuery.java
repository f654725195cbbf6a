package dev.pgopt.client.search;

import com.pgvector.PGvector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A typed k-nearest-neighbour search that never silently returns fewer rows than asked. With a filter it turns on
 * pgvector's iterative index scan for the transaction (so the filter does not starve the scan), raises {@code
 * hnsw.ef_search} to at least k, and if the index scan still comes back short while more rows match, it falls back
 * to an exact scan. Fewer than k rows come back only when fewer match, and the result says so.
 *
 * <pre>{@code
 * KnnResult<Doc> r = KnnQuery.on("documents", "embedding", Distance.COSINE, rs -> new Doc(rs.getLong("id"), rs.getString("title")))
 *     .select("id, title").where("tenant_id = ?", tenantId).limit(10).run(conn, queryVector);
 * }</pre>
 *
 * Runs in the caller's transaction when autocommit is off (settings are SET LOCAL); otherwise in its own.
 */
public final class KnnQuery<T> {
  private final String table;
  private final String column;
  private final Distance distance;
  private final RowMapper<T> mapper;
  private String select = "*";
  private String filter;
  private Object[] filterParams = new Object[0];
  private int k = 10;

  private KnnQuery(String table, String column, Distance distance, RowMapper<T> mapper) {
    this.table = Identifiers.check("table", table);
    this.column = Identifiers.check("column", column);
    this.distance = Objects.requireNonNull(distance);
    this.mapper = Objects.requireNonNull(mapper);
  }

  public static <T> KnnQuery<T> on(String table, String vectorColumn, Distance distance, RowMapper<T> mapper) {
    return new KnnQuery<>(table, vectorColumn, distance, mapper);
  }

  /** The select list the mapper reads (application SQL, not user input). */
  public KnnQuery<T> select(String columns) {
    this.select = Objects.requireNonNull(columns);
    return this;
  }

  /** A predicate with {@code ?} parameters (application SQL, not user input). */
  public KnnQuery<T> where(String predicate, Object... params) {
    this.filter = predicate;
    this.filterParams = params.clone();
    return this;
  }

  public KnnQuery<T> limit(int k) {
    if (k < 1 || k > 10_000) {
      throw new IllegalArgumentException("k must be between 1 and 10000, got " + k);
    }
    this.k = k;
    return this;
  }

  public KnnResult<T> run(Connection c, float[] query) throws SQLException {
    return AnnScan.inTransaction(c, () -> search(c, new PGvector(query)));
  }

  private KnnResult<T> search(Connection c, PGvector q) throws SQLException {
    AnnScan.prepare(c, k, filter != null);
    List<Neighbor<T>> found = query(c, q);
    if (found.size() >= k) {
      return new KnnResult<>(found, true, false, null);
    }
    long matching = matching(c);
    if (found.size() >= matching) {
      return new KnnResult<>(found, true, false, "only " + matching + " rows match");
    }
    try (Statement s = c.createStatement()) {
      s.execute("SET LOCAL enable_indexscan = off");
      s.execute("SET LOCAL enable_bitmapscan = off");
    }
    List<Neighbor<T>> exact = query(c, q);
    try (Statement s = c.createStatement()) {
      s.execute("SET LOCAL enable_indexscan = on");
      s.execute("SET LOCAL enable_bitmapscan = on");
    }
    return new KnnResult<>(exact, true, true, exact.size() < k ? "only " + exact.size() + " rows match" : null);
  }

  private List<Neighbor<T>> query(Connection c, PGvector q) throws SQLException {
    String sql = "SELECT " + select + ", (" + column + " " + distance.operator() + " ?)::float8 AS pgopt_distance FROM " + table
        + " WHERE " + column + " IS NOT NULL" + (filter == null ? "" : " AND (" + filter + ")") + " ORDER BY " + column + " "
        + distance.operator() + " ? LIMIT ?";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      ps.setObject(i++, q);
      for (Object p : filterParams) {
        ps.setObject(i++, p);
      }
      ps.setObject(i++, q);
      ps.setInt(i, k);
      List<Neighbor<T>> out = new ArrayList<>(k);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Neighbor<>(mapper.map(rs), rs.getDouble("pgopt_distance")));
        }
      }
      // relaxed_order may return neighbours slightly out of order
      out.sort(Comparator.comparingDouble(Neighbor::distance));
      return out;
    }
  }

  private long matching(Connection c) throws SQLException {
    String sql = "SELECT count(*) FROM (SELECT 1 FROM " + table + " WHERE " + column + " IS NOT NULL"
        + (filter == null ? "" : " AND (" + filter + ")") + " LIMIT ?) m";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      for (Object p : filterParams) {
        ps.setObject(i++, p);
      }
      ps.setInt(i, k);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
