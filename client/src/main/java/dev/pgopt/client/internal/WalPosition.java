package dev.pgopt.client.internal;

/**
 * The primary's WAL insert position, comparable with a replica's replay position. When the last record ends exactly
 * at a page boundary, {@code pg_current_wal_insert_lsn()} points past the next page's header (24 bytes, 40 for a long
 * header), where no replica's replay position will ever be while the primary is idle. Without a correction, an idle
 * primary's replica looks behind for ever and read-your-writes tokens never match it.
 *
 * <p>Why moving back to the boundary is safe: replay positions are ends of records. No record ends inside a page
 * header, and a record that crosses a boundary ends past the header plus at least one byte of its data, so when the
 * insert position is 24 or 40 bytes into a page, no record ends between the boundary and it: a replica at the boundary
 * or later has everything before the insert position. The page size is the server's ({@code wal_block_size}).
 */
public final class WalPosition {
  /** Two columns: the insert position as a bigint, and the server's WAL page size. */
  public static final String INSERT_COLUMNS = "(pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint,"
      + " current_setting('wal_block_size')::int";

  private WalPosition() {}

  /** The position to compare replicas against, for an insert position read with its server's page size. */
  public static long comparable(long insert, int blockSize) {
    if (blockSize <= 0) {
      return insert;
    }
    long offset = insert % blockSize;
    return offset == 24 || offset == 40 ? insert - offset : insert;
  }
}
