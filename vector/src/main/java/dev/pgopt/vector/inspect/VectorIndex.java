package dev.pgopt.vector.inspect;

import java.util.List;
import java.util.Map;

/**
 * An HNSW or IVFFlat index.
 *
 * @param column the indexed column, or null for an expression index (see {@code definition})
 * @param options from the index's reloptions: m and ef_construction (HNSW, defaults 16 and 64), lists (IVFFlat, 100)
 * @param serves the distance operator its opclass serves, or null for an opclass pgopt does not know
 * @param sizeBytes on disk; summed over the partitions' indexes for an index on a partitioned table
 * @param partitionIndexes the partitions' own indexes (each its own graph) of an index on a partitioned table, else
 *     empty: plans name these, not the parent
 * @param largestPartBytes the largest single graph: the index itself, or its largest partition's index
 * @param partitionKey the columns a partitioned table is partitioned by, else empty
 */
public record VectorIndex(String schema, String table, String name, String method, String opclass, DistanceOperator serves,
    String column, Map<String, String> options, long sizeBytes, boolean valid, boolean partial, String definition,
    List<String> partitionIndexes, long largestPartBytes, List<String> partitionKey) {

  /** Whether a plan's index scan of {@code indexName} is a scan of this index (or of one of its partitions'). */
  public boolean scannedAs(String indexName) {
    return name.equals(indexName) || partitionIndexes.contains(indexName);
  }

  public boolean hnsw() {
    return method.equals("hnsw");
  }

  public int m() {
    return Integer.parseInt(options.getOrDefault("m", "16"));
  }

  public int efConstruction() {
    return Integer.parseInt(options.getOrDefault("ef_construction", "64"));
  }

  public int lists() {
    return Integer.parseInt(options.getOrDefault("lists", "100"));
  }
}
