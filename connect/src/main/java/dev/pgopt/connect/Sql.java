package dev.pgopt.connect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Small JDBC helpers: run a query with parameters and map its rows. */
public final class Sql {
  private Sql() {}

  @FunctionalInterface
  public interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  /**
   * Leads every statement pgopt sends, so its own statements can be told apart in pg_stat_statements (which keeps the
   * first text it saw, comments included) and left out of the reports.
   */
  public static final String OWN_MARK = "/* pgopt */ ";

  /** {@code sql} with {@link #OWN_MARK} unless it already starts with a comment of its own. */
  public static String marked(String sql) {
    return sql.startsWith("/*") ? sql : OWN_MARK + sql;
  }

  /** Whether pg_stat_statements text came from pgopt itself. */
  public static boolean isOwn(String query) {
    return query != null && query.stripLeading().startsWith("/* pgopt");
  }

  public static <T> List<T> list(Connection c, String sql, RowMapper<T> mapper, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(marked(sql))) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        List<T> out = new ArrayList<>();
        while (rs.next()) {
          out.add(mapper.map(rs));
        }
        return out;
      }
    }
  }

  public static <T> T one(Connection c, String sql, RowMapper<T> mapper, Object... params) throws SQLException {
    List<T> rows = list(c, sql, mapper, params);
    if (rows.size() != 1) {
      throw new SQLException("expected one row, got " + rows.size() + " from: " + sql);
    }
    return rows.get(0);
  }

  /** A nullable number column as Double (JDBC returns 0 for NULL otherwise). */
  public static Double nullableDouble(ResultSet rs, String column) throws SQLException {
    double v = rs.getDouble(column);
    return rs.wasNull() ? null : v;
  }

  public static Long nullableLong(ResultSet rs, String column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : v;
  }
}
