package dev.pgopt.vector.inspect;

import java.util.List;

/**
 * A pg_stat_statements entry that uses a distance operator.
 *
 * @param annIndex the HNSW/IVFFlat index its plan scans (the parent's name for a partitioned table), or null when it
 *     does not use one
 * @param annScans how many ANN index scans the plan merges: one per partition searched
 * @param problems why the plan does not use an ANN index, or why using it may return fewer rows than asked
 * @param planError why the statement could not be planned, or null
 */
public record VectorStatement(String queryId, String query, long calls, double meanMs, double rowsPerCall,
    DistanceOperator operator, String column, String annIndex, int annScans, List<String> problems, String planError) {}
