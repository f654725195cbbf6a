package dev.pgopt.vector.tune;

import java.util.List;

/**
 * What to tune.
 *
 * @param queryVectors vectors in pgvector's text form ({@code [0.1,0.2,...]}) to search for; empty: sample {@code
 *     sampleQueries} rows of the table (each excluded from its own results)
 * @param filter an SQL predicate on the table (e.g. {@code category = 3}), or null
 * @param sweep the ef_search (HNSW) or probes (IVFFlat) values to measure; empty for the defaults
 */
public record TuneRequest(String schema, String table, String column, int k, double targetRecall, int sampleQueries,
    List<String> queryVectors, String filter, List<Integer> sweep, long seed) {

  public static final List<Integer> DEFAULT_EF_SEARCH = List.of(10, 20, 40, 60, 80, 100, 150, 200, 300, 400);
  public static final List<Integer> DEFAULT_PROBES = List.of(1, 2, 4, 8, 16, 32, 64);
}
