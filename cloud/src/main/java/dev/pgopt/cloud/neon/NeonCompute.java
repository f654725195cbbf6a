package dev.pgopt.cloud.neon;

import java.time.Instant;
import java.util.Optional;

/**
 * A compute (the API calls it an endpoint): its branch, autoscaling range and scale-to-zero delay.
 *
 * @param suspendTimeoutSeconds 0: the platform's default (5 min); negative: never suspends
 */
public record NeonCompute(String id, String branchId, String type, double minCu, double maxCu,
                          int suspendTimeoutSeconds, Optional<Instant> lastActive, String state) {}
