package dev.pgopt.client;

import java.sql.Connection;
import java.sql.SQLException;

/** Work done with a connection the data source chose; may be run more than once when it is retried. */
@FunctionalInterface
public interface SqlFunction<T> {
  T apply(Connection connection) throws SQLException;
}
