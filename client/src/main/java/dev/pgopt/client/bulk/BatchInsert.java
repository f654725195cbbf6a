package dev.pgopt.client.bulk;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Batched INSERT through one prepared statement, {@code batchSize} rows per round trip. PgoptDataSource turns on
 * pgjdbc's {@code reWriteBatchedInserts} for the primary, so each batch is sent as multi-row INSERTs.
 */
public final class BatchInsert {
  /** Binds one item's parameters. */
  @FunctionalInterface
  public interface Binder<T> {
    void bind(PreparedStatement statement, T item) throws SQLException;
  }

  private BatchInsert() {}

  /** Runs {@code insertSql} for every item; returns how many were sent. */
  public static <T> long rows(Connection connection, String insertSql, Iterable<T> items, int batchSize,
      Binder<T> binder) throws SQLException {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
    }
    long sent = 0;
    try (PreparedStatement ps = connection.prepareStatement(insertSql)) {
      int pending = 0;
      for (T item : items) {
        binder.bind(ps, item);
        ps.addBatch();
        sent++;
        if (++pending == batchSize) {
          ps.executeBatch();
          pending = 0;
        }
      }
      if (pending > 0) {
        ps.executeBatch();
      }
    }
    return sent;
  }
}
