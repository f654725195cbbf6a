package dev.pgopt.advise.platform;

import dev.pgopt.cloud.neon.NeonCompute;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Neon compute size from evidence: the smallest size whose Local File Cache (about three quarters of its RAM, 4 GiB
 * per CU) holds the working set with a tenth to spare, and whose {@code max_connections} (less the 7 Neon keeps)
 * holds the peak of direct connections. Below that minimum, autoscaling down empties the cache the workload needs.
 * Figures from Neon's documentation (compute sizes, connection limits), read 2026-12.
 */
public final class NeonComputeSizing {
  static final double[] SIZES = {0.25, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16};
  private static final double RAM_PER_CU = 4.0 * (1L << 30);
  private static final double CACHE_SHARE = 0.75;
  private static final int RESERVED_CONNECTIONS = 7;
  private static final double HEADROOM = 1.1;
  private static final double GOOD_HIT_RATIO = 99.0;

  /**
   * @param minCu the smallest size the evidence allows
   * @param reasons why, one line each
   * @param changes what to change on the compute, when its current range disagrees (empty: it agrees or is unknown)
   */
  public record Advice(double minCu, double maxCu, List<String> reasons, List<String> changes) {}

  private NeonComputeSizing() {}

  /** {@code max_connections} of a Neon compute of {@code cu}. */
  static int maxConnections(double cu) {
    if (cu >= 9) {
      return 4000;
    }
    return switch ((int) Math.round(cu * 4)) {
      case 1 -> 104;
      case 2 -> 209;
      case 4 -> 419;
      case 8 -> 839;
      case 12 -> 1258;
      case 16 -> 1678;
      case 20 -> 2098;
      case 24 -> 2517;
      case 28 -> 2937;
      default -> 3357;
    };
  }

  static double cacheBytes(double cu) {
    return cu * RAM_PER_CU * CACHE_SHARE;
  }

  /**
   * @param workingSetBytes pages touched in the last hour, from the neon extension
   * @param hitRatio the cache's hit ratio in percent since the compute started
   * @param peakConnections the most connections seen at once (direct ones; the -pooler host multiplexes its own)
   * @param current the compute's configured range, from the API when a key was given
   */
  public static Advice advise(Optional<Long> workingSetBytes, Optional<Double> hitRatio, int peakConnections,
                              Optional<NeonCompute> current) {
    List<String> reasons = new ArrayList<>();
    double forCache = SIZES[0];
    if (workingSetBytes.isPresent()) {
      long ws = workingSetBytes.get();
      forCache = smallest(cu -> cacheBytes(cu) >= ws * HEADROOM);
      reasons.add(String.format("working set %s fits the cache of %s CU (%s)", mb(ws), cu(forCache), mb((long) cacheBytes(forCache))));
    } else {
      reasons.add("working set unknown (the neon extension's approximate_working_set_size functions are not there)");
    }
    double forConnections = smallest(cu -> maxConnections(cu) - RESERVED_CONNECTIONS >= peakConnections);
    reasons.add(String.format("%d connections at peak need %s CU (max_connections %d, 7 kept by Neon)", peakConnections,
        cu(forConnections), maxConnections(forConnections)));
    double min = Math.max(forCache, forConnections);
    double max = Math.max(min, current.map(NeonCompute::maxCu).orElse(min));
    if (hitRatio.isPresent() && hitRatio.get() < GOOD_HIT_RATIO) {
      reasons.add(String.format("cache hit ratio %.1f %% is below %.0f %%: reads go to Neon's storage", hitRatio.get(), GOOD_HIT_RATIO));
      max = Math.max(max, next(min));
    }
    List<String> changes = new ArrayList<>();
    if (current.isPresent()) {
      NeonCompute c = current.get();
      if (c.minCu() < min) {
        changes.add(String.format("raise the minimum from %s to %s CU: below it the cache the working set needs is gone",
            cu(c.minCu()), cu(min)));
      }
      if (c.maxCu() < max) {
        changes.add(String.format("raise the maximum from %s to %s CU", cu(c.maxCu()), cu(max)));
      }
      if (c.suspendTimeoutSeconds() >= 0 && "read_write".equals(c.type())) {
        changes.add("scale to zero is on (" + (c.suspendTimeoutSeconds() == 0 ? "after the default 5 min"
            : "after " + c.suspendTimeoutSeconds() + " s") + "): the first query after a pause waits for a cold start"
            + " (a few hundred ms) and meets an empty cache; turn it off for a production database, keep it for dev branches");
      }
    }
    return new Advice(min, max, reasons, changes);
  }

  private static double smallest(java.util.function.DoublePredicate fits) {
    for (double s : SIZES) {
      if (fits.test(s)) {
        return s;
      }
    }
    return SIZES[SIZES.length - 1];
  }

  private static double next(double cu) {
    for (double s : SIZES) {
      if (s > cu) {
        return s;
      }
    }
    return cu;
  }

  static String cu(double cu) {
    return cu == Math.rint(cu) ? String.valueOf((long) cu) : String.valueOf(cu);
  }

  private static String mb(long bytes) {
    return bytes >= (1L << 30) ? String.format("%.1f GiB", bytes / (double) (1L << 30)) : (bytes >> 20) + " MiB";
  }
}
