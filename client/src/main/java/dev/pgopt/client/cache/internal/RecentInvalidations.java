package dev.pgopt.client.cache.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * When keys and tags were last invalidated, for a minute. A load that started before an invalidation of its key or
 * one of its tags returns its value to the caller but does not cache it: it may have read the old data.
 */
public final class RecentInvalidations {
  private final Cache<String, Long> at;
  private final LongSupplier nanoTime;

  public RecentInvalidations(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    this.at = Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(1)).ticker(nanoTime::getAsLong).build();
  }

  public void key(String key) {
    at.put("k:" + key, nanoTime.getAsLong());
  }

  public void tag(String tag) {
    at.put("t:" + tag, nanoTime.getAsLong());
  }

  public boolean since(long startNanos, String key, Set<String> tags) {
    if (after(at.getIfPresent("k:" + key), startNanos)) {
      return true;
    }
    for (String t : tags) {
      if (after(at.getIfPresent("t:" + t), startNanos)) {
        return true;
      }
    }
    return false;
  }

  private static boolean after(Long when, long start) {
    return when != null && when - start >= 0;
  }
}
