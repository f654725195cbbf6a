package dev.pgopt.vector.tune;

import java.util.List;

/**
 * The measured recall/latency curve and the recommendation.
 *
 * @param partitions the leaf partitions of a partitioned table, 0 for a plain table
 * @param partitionsSearched the ANN index scans a search's plan merges (1 for a plain table; one per partition)
 * @param exactMeanMs mean latency of exact search (index scans off), the baseline
 * @param recommended the smallest setting that meets the target with full result sets, or null when none does
 * @param best the highest recall measured (the fallback when the target is not met)
 * @param applySql how to apply the recommendation: per database, per role, per transaction
 * @param advice what to change when the target is not met, or notes on the result
 */
public record TuneResult(String database, String schema, String table, String column, String columnType, int dimensions,
    long rows, String index, String method, String opclass, String indexParameters, int k, double targetRecall,
    int queries, String queriesFrom, String filter, int partitions, int partitionsSearched, double exactMeanMs, double exactQps, List<SweepPoint> points,
    SweepPoint recommended, SweepPoint best, List<String> applySql, List<String> advice) {

  public boolean targetMet() {
    return recommended != null;
  }
}
