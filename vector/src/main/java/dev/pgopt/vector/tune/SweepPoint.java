package dev.pgopt.vector.tune;

/**
 * One measured setting.
 *
 * @param setting hnsw.ef_search or ivfflat.probes
 * @param iterativeScan hnsw.iterative_scan during the measurement (off unless a filter is swept)
 * @param recall mean recall@k, tie-tolerant on distance as ann-benchmarks computes it
 * @param meanRows rows returned per query (fewer than k means results were lost)
 * @param minRows the fewest rows any query returned
 */
public record SweepPoint(String setting, int value, String iterativeScan, double recall, double meanRows, int minRows,
    double meanMs, double p95Ms, double qps) {

  public boolean complete(int k) {
    return minRows >= k;
  }
}
