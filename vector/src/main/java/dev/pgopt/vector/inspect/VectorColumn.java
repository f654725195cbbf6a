package dev.pgopt.vector.inspect;

/**
 * A vector, halfvec, sparsevec or bit column.
 *
 * @param dimensions from the type modifier; null when the column was declared without one
 * @param avgBytes average stored width per non-null value (pg_stats, after ANALYZE), or null
 * @param rows estimated rows; of all its partitions for a partitioned table
 * @param tableBytes heap and TOAST of the whole table ({@code pg_table_size}), summed over its partitions
 * @param toastBytes the TOAST part, where long vectors end up
 * @param partitions the leaf partitions of a partitioned table, 0 for a plain table
 */
public record VectorColumn(String schema, String table, String column, String type, Integer dimensions, long rows,
    Double nullFraction, Integer avgBytes, long tableBytes, long toastBytes, int partitions) {

  public String qualifiedTable() {
    return schema + "." + table;
  }

  /** Estimated bytes the column's values take: rows × average width, or null without statistics. */
  public Long estimatedColumnBytes() {
    if (avgBytes == null) {
      return null;
    }
    double nonNull = rows * (1 - (nullFraction == null ? 0 : nullFraction));
    return Math.round(nonNull * avgBytes);
  }
}
