package dev.pgopt.client.cache;

/**
 * Counts since the cache was built.
 *
 * @param l2Errors Redis calls that failed or timed out (each served from the next tier instead)
 */
public record CacheStats(long l1Hits, long l1Misses, long l1Evictions, long l2Hits, long l2Misses, long l2Errors,
    long loads, long loadFailures, double meanLoadMillis) {

  public double l1HitRate() {
    return rate(l1Hits, l1Misses);
  }

  public double l2HitRate() {
    return rate(l2Hits, l2Misses);
  }

  private static double rate(long hits, long misses) {
    return hits + misses == 0 ? 0 : (double) hits / (hits + misses);
  }
}
