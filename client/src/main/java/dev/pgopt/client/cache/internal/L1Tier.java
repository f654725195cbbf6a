package dev.pgopt.client.cache.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The in-process tier: Caffeine, size-bounded, each entry with its own time to live. Entries carry their tags and the
 * {@link TagVersions} stamp of their load; whether one is still current is decided on read, not by an index.
 */
public final class L1Tier {
  /**
   * A cached value as the application gave it (not copied: treat cached objects as immutable).
   *
   * @param tags internal tag names, the key's own among them
   * @param loadedAt the {@link TagVersions} stamp when its load began
   */
  public record Entry(Object value, long ttlNanos, String[] tags, long loadedAt) {}

  private final Cache<String, Entry> cache;
  private final LongAdder evictions = new LongAdder();

  public L1Tier(long maximumSize, LongSupplier nanoTime) {
    this.cache = Caffeine.newBuilder()
        .maximumSize(maximumSize)
        .ticker(nanoTime::getAsLong)
        .expireAfter(new Expiry<String, Entry>() {
          @Override
          public long expireAfterCreate(String key, Entry e, long now) {
            return e.ttlNanos();
          }

          @Override
          public long expireAfterUpdate(String key, Entry e, long now, long current) {
            return e.ttlNanos();
          }

          @Override
          public long expireAfterRead(String key, Entry e, long now, long current) {
            return current;
          }
        })
        .removalListener((String key, Entry e, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
          if (cause.wasEvicted()) {
            evictions.increment();
          }
        })
        .executor(Runnable::run)
        .build();
  }

  public Entry get(String key) {
    return cache.getIfPresent(key);
  }

  public void put(String key, Entry entry) {
    if (entry.ttlNanos() > 0) {
      cache.put(key, entry);
    }
  }

  /** Drops {@code entry} if it is still the one cached under {@code key} (a newer one stays). */
  public void remove(String key, Entry entry) {
    cache.asMap().remove(key, entry);
  }

  public long evictions() {
    return evictions.sum();
  }

  public long size() {
    return cache.estimatedSize();
  }
}
