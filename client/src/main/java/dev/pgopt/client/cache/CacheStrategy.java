package dev.pgopt.client.cache;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How one kind of value is cached: time to live, the tags that invalidate it, and from what size it is compressed in
 * Redis. Add per-call tags (e.g. {@code "user:42"}) with {@link #withTags}.
 *
 * @param compressAboveBytes values whose serialized form is larger are deflated in Redis; -1 never
 */
public record CacheStrategy(String name, Duration ttl, Set<String> tags, int compressAboveBytes) {
  public CacheStrategy {
    Objects.requireNonNull(name, "name");
    if (ttl == null || ttl.toMillis() <= 0) {
      throw new IllegalArgumentException("cache strategy '" + name + "': ttl must be positive, got " + ttl);
    }
    tags = Set.copyOf(tags);
  }

  public static CacheStrategy of(String name, Duration ttl, String... tags) {
    return new CacheStrategy(name, ttl, Set.of(tags), -1);
  }

  public CacheStrategy compressAbove(int bytes) {
    return new CacheStrategy(name, ttl, tags, bytes);
  }

  /** The same strategy with more tags, typically the entity a value belongs to. */
  public CacheStrategy withTags(String... more) {
    Set<String> all = new LinkedHashSet<>(tags);
    all.addAll(List.of(more));
    return new CacheStrategy(name, ttl, all, compressAboveBytes);
  }
}
