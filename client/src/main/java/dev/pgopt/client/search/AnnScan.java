package dev.pgopt.client.search;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** What an approximate nearest-neighbour search sets for its transaction, and the transaction it runs in. */
final class AnnScan {
  /** Work on a connection that may throw SQLException. */
  @FunctionalInterface
  interface Work<R> {
    R run() throws SQLException;
  }

  private AnnScan() {}

  /**
   * Makes the index scan able to return {@code k} rows: {@code hnsw.ef_search} at least k (a scan returns at most
   * ef_search rows), and with a filter pgvector's iterative scan (0.8+), so the filter does not starve it. SET LOCAL:
   * nothing outlives the transaction. No-ops for IVFFlat and exact scans.
   */
  static void prepare(Connection c, int k, boolean filtered) throws SQLException {
    try (Statement s = c.createStatement()) {
      // pgvector's settings exist once its library is loaded
      s.execute("SELECT '[1]'::vector IS NOT NULL");
      s.execute("SELECT set_config('hnsw.ef_search', greatest(" + k
          + ", coalesce(nullif(current_setting('hnsw.ef_search', true), ''), '40')::int)::text, true)");
      if (filtered) {
        s.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)"
            + " WHERE current_setting('hnsw.iterative_scan', true) IS NOT NULL");
      }
    }
  }

  /** Runs {@code work} in the caller's transaction when autocommit is off, else in one of its own. */
  static <R> R inTransaction(Connection c, Work<R> work) throws SQLException {
    boolean own = c.getAutoCommit();
    if (own) {
      c.setAutoCommit(false);
    }
    try {
      R r = work.run();
      if (own) {
        c.commit();
      }
      return r;
    } catch (SQLException | RuntimeException e) {
      if (own) {
        c.rollback();
      }
      throw e;
    } finally {
      if (own) {
        c.setAutoCommit(true);
      }
    }
  }
}
