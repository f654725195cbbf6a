package dev.pgopt.client.paging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Keyset (cursor) pagination: each page continues after the last row of the previous one with a row comparison on
 * the sort key, {@code WHERE (created_at, id) < (?, ?)}, so page 1,000 costs what page 1 costs (an index on the key
 * serves it) where OFFSET would read and discard every earlier row. The key must be unique (end it with the primary
 * key) and sorted in one direction.
 *
 * <pre>{@code
 * KeysetQuery<Repo> q = KeysetQuery.of("SELECT id, name, created_at FROM repositories WHERE owner_id = ?",
 *         rs -> new Repo(rs.getLong("id"), rs.getString("name")))
 *     .by("created_at", "timestamptz").by("id", "bigint").descending().limit(50);
 * Page<Repo> first = q.page(conn, null, ownerId);
 * Page<Repo> second = q.page(conn, first.next(), ownerId);
 * }</pre>
 */
public final class KeysetQuery<T> {
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");
  private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9_ ]{0,40}");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Maps the current row. */
  @FunctionalInterface
  public interface RowMapper<T> {
    T map(ResultSet row) throws SQLException;
  }

  private final String base;
  private final RowMapper<T> mapper;
  private final List<String> columns;
  private final List<String> types;
  private final boolean descending;
  private final int limit;

  private KeysetQuery(String base, RowMapper<T> mapper, List<String> columns, List<String> types, boolean descending,
      int limit) {
    this.base = base;
    this.mapper = mapper;
    this.columns = columns;
    this.types = types;
    this.descending = descending;
    this.limit = limit;
  }

  /** {@code select} is the query without ORDER BY or LIMIT; its select list must include the key columns. */
  public static <T> KeysetQuery<T> of(String select, RowMapper<T> mapper) {
    return new KeysetQuery<>(select, mapper, List.of(), List.of(), false, 50);
  }

  /** Adds a key column and its SQL type (the cursor's values are cast to it). */
  public KeysetQuery<T> by(String column, String sqlType) {
    if (!IDENTIFIER.matcher(column).matches() || !TYPE.matcher(sqlType).matches()) {
      throw new IllegalArgumentException("key column must be a plain identifier and type a type name: " + column + " " + sqlType);
    }
    List<String> c = new ArrayList<>(columns);
    List<String> t = new ArrayList<>(types);
    c.add(column);
    t.add(sqlType);
    return new KeysetQuery<>(base, mapper, List.copyOf(c), List.copyOf(t), descending, limit);
  }

  public KeysetQuery<T> descending() {
    return new KeysetQuery<>(base, mapper, columns, types, true, limit);
  }

  public KeysetQuery<T> limit(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("page size must be at least 1, got " + rows);
    }
    return new KeysetQuery<>(base, mapper, columns, types, descending, rows);
  }

  /** The page after {@code cursor} (null: the first page); {@code parameters} bind the base query's placeholders. */
  public Page<T> page(Connection connection, String cursor, Object... parameters) throws SQLException {
    if (columns.isEmpty()) {
      throw new IllegalStateException("add the key columns with by(column, type) before paging");
    }
    List<String> after = cursor == null ? null : decode(cursor);
    String sql = sql(after != null);
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      int i = 1;
      for (Object p : parameters) {
        ps.setObject(i++, p);
      }
      if (after != null) {
        for (String v : after) {
          ps.setString(i++, v);
        }
      }
      ps.setInt(i, limit + 1);
      List<T> items = new ArrayList<>(limit);
      List<String> lastKey = null;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (items.size() == limit) {
            return new Page<>(items, encode(lastKey));
          }
          items.add(mapper.map(rs));
          lastKey = new ArrayList<>(columns.size());
          for (String c : columns) {
            lastKey.add(rs.getString(c));
          }
        }
      }
      return new Page<>(items, null);
    }
  }

  String sql(boolean continuing) {
    String dir = descending ? " DESC" : "";
    StringBuilder sb = new StringBuilder("SELECT * FROM (").append(base).append(") AS keyset_page");
    if (continuing) {
      sb.append(" WHERE (").append(String.join(", ", columns)).append(") ").append(descending ? "<" : ">").append(" (");
      for (int i = 0; i < types.size(); i++) {
        sb.append(i == 0 ? "" : ", ").append("?::").append(types.get(i));
      }
      sb.append(')');
    }
    sb.append(" ORDER BY ");
    for (int i = 0; i < columns.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(columns.get(i)).append(dir);
    }
    return sb.append(" LIMIT ?").toString();
  }

  private String encode(List<String> key) {
    try {
      return Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(key));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<String> decode(String cursor) {
    try {
      List<String> key = JSON.readValue(Base64.getUrlDecoder().decode(cursor.getBytes(StandardCharsets.US_ASCII)),
          new TypeReference<List<String>>() {});
      if (key.size() != columns.size()) {
        throw new IllegalArgumentException("cursor does not belong to this query");
      }
      return key;
    } catch (IllegalArgumentException | java.io.IOException e) {
      throw new IllegalArgumentException("invalid page cursor: request the first page again", e);
    }
  }
}
