package dev.pgopt.vector.inspect;

/**
 * The settings that decide vector search behaviour, as the inspecting session sees them.
 *
 * @param iterativeScan hnsw.iterative_scan (off, relaxed_order, strict_order), or null before pgvector 0.8
 */
public record VectorSettings(int efSearch, String iterativeScan, Long maxScanTuples, int probes,
    long maintenanceWorkMemBytes, int maxParallelMaintenanceWorkers) {

  public boolean iterativeScanOn() {
    return iterativeScan != null && !iterativeScan.equals("off");
  }
}
