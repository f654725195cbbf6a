package dev.pgopt.client.internal;

/**
 * The primary's WAL insert position as SQL, comparable with a replica's replay position. When the last record ends
 * exactly at a page boundary, {@code pg_current_wal_insert_lsn()} points past the next page's header (24 bytes, 40 at
 * a segment start), where no replica's replay position will ever be while the primary is idle. No record ends inside
 * a page header, so the boundary itself is the same point in the history: without this, an idle primary's replica
 * looks behind for ever and read-your-writes tokens never match it.
 */
public final class WalPosition {
  /** A scalar expression for the insert position as a bigint. */
  public static final String INSERT = "(SELECT CASE WHEN p % b = 24 THEN p - 24 WHEN p % s = 40 THEN p - 40 ELSE p END"
      + " FROM (SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint AS p,"
      + " current_setting('wal_block_size')::bigint AS b, pg_size_bytes(current_setting('wal_segment_size')) AS s) w)";

  private WalPosition() {}
}
