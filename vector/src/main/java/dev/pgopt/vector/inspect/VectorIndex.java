package dev.pgopt.vector.inspect;

import java.util.Map;

/**
 * An HNSW or IVFFlat index.
 *
 * @param column the indexed column, or null for an expression index (see {@code definition})
 * @param options from the index's reloptions: m and ef_construction (HNSW, defaults 16 and 64), lists (IVFFlat, 100)
 * @param serves the distance operator its opclass serves, or null for an opclass pgopt does not know
 */
public record VectorIndex(String schema, String table, String name, String method, String opclass, DistanceOperator serves,
    String column, Map<String, String> options, long sizeBytes, boolean valid, boolean partial, String definition) {

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
