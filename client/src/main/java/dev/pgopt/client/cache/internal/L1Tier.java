package dev.pgopt.client.cache.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/** The in-process tier: Caffeine, size-bounded, each entry with its own time to live, and a tag → keys index. */
public final class L1Tier {
  /** A cached value as the application gave it (not copied: treat cached objects as immutable). */
  public record Entry(Object value, long ttlNanos, Set<String> tags) {}

  private final Cache<String, Entry> cache;
  private final ConcurrentHashMap<String, Set<String>> keysByTag = new ConcurrentHashMap<>();
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
          if (key != null && e != null) {
            unindex(key, e.tags());
          }
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

  public void put(String key, Object value, long ttlNanos, Set<String> tags) {
    if (ttlNanos <= 0) {
      return;
    }
    for (String tag : tags) {
      keysByTag.compute(tag, (t, keys) -> {
        Set<String> s = keys == null ? ConcurrentHashMap.newKeySet() : keys;
        s.add(key);
        return s;
      });
    }
    cache.put(key, new Entry(value, ttlNanos, tags));
  }

  private void unindex(String key, Set<String> tags) {
    for (String tag : tags) {
      keysByTag.computeIfPresent(tag, (t, keys) -> {
        keys.remove(key);
        return keys.isEmpty() ? null : keys;
      });
    }
  }

  public void invalidate(String key) {
    cache.invalidate(key);
  }

  public void invalidateTag(String tag) {
    Set<String> keys = keysByTag.remove(tag);
    if (keys != null) {
      cache.invalidateAll(keys);
    }
  }

  public void clear() {
    cache.invalidateAll();
  }

  public long evictions() {
    return evictions.sum();
  }

  public long size() {
    return cache.estimatedSize();
  }
}
