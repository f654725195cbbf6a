package dev.pgopt.cloud.neon;

import java.time.Instant;

/**
 * Consumption of one project over a period (the current billing period for the project's own counters, or one
 * step of the consumption history).
 *
 * @param computeTimeSeconds CU-seconds: a 2 CU compute active for an hour counts 7,200
 * @param storageByteHours storage integrated over the period (0 when the answer did not carry it)
 * @param storageBytes the storage now, where the answer says it (0 otherwise)
 */
public record NeonUsage(Instant from, Instant to, long activeTimeSeconds, long computeTimeSeconds,
                        long writtenDataBytes, long storageByteHours, long storageBytes) {
  public double computeUnitHours() {
    return computeTimeSeconds / 3600.0;
  }
}
