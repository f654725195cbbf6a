package dev.pgopt.client.search;

import java.sql.ResultSet;
import java.sql.SQLException;

/** Maps the current row of a search result. */
@FunctionalInterface
public interface RowMapper<T> {
  T map(ResultSet row) throws SQLException;
}
