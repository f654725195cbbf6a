package dev.pgopt.client.cache.internal;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * This instance's versions of tags (a key counts as a tag of its own entry): one counter for the instance, and per
 * tag the counter's value at the tag's last invalidation heard here, with the writer's WAL position. An L1 entry
 * records the counter when its load began and is valid while none of its tags was invalidated since. Nothing is
 * indexed, so there is no index to fall out of: an entry stays reachable until Caffeine removes it, but a stale one
 * is never served. Forgetting tags (there may be one per row) is safe because the floor rises first: an entry older
 * than a forgotten invalidation is treated as stale.
 */
public final class TagVersions {
  /** What loads of a tag must see: the writer's WAL position, and when a write's position was not known. */
  public record Requirement(long lsn, long unknownAtNanos) {
    static final Requirement NONE = new Requirement(0, Long.MIN_VALUE);
  }

  private record Version(long stamp, long lsn, long unknownAtNanos) {}

  private final AtomicLong clock = new AtomicLong();
  private final ConcurrentHashMap<String, Version> versions = new ConcurrentHashMap<>();
  private final int maxTags;
  private final LongSupplier nanoTime;
  private volatile long floor;
  private volatile long lastInvalidation;

  public TagVersions(int maxTags, LongSupplier nanoTime) {
    this.maxTags = maxTags;
    this.nanoTime = nanoTime;
  }

  /** The stamp a load beginning now records. */
  public long now() {
    return clock.get();
  }

  /**
   * Records an invalidation of {@code tags} (internal names) heard here. When it returns, every entry loaded before
   * is stale here.
   *
   * @param lsn the writer's WAL position, 0 when it was not known
   * @param positionKnown false when the writer's position is not known: loads go to the primary for a while
   */
  public void invalidate(Iterable<String> tags, long lsn, boolean positionKnown) {
    long at = positionKnown ? Long.MIN_VALUE : nanoTime.getAsLong();
    long last = 0;
    for (String tag : tags) {
      long stamp = clock.incrementAndGet();
      last = stamp;
      versions.merge(tag, new Version(stamp, lsn, at),
          (old, mine) -> new Version(mine.stamp(), Math.max(old.lsn(), lsn), positionKnown ? old.unknownAtNanos() : at));
    }
    raiseLast(last);
    if (versions.size() > maxTags) {
      forgetOldest();
    }
  }

  /** Everything loaded before now is stale (messages may have been missed). */
  public void invalidateAll() {
    long stamp = clock.incrementAndGet();
    raiseFloor(stamp);
    raiseLast(stamp);
  }

  /** Whether an entry loaded at {@code loadedAt} with these tags is still current here. */
  public boolean current(long loadedAt, String[] tags) {
    if (loadedAt >= lastInvalidation) {
      return true; // nothing was invalidated since: the common case costs one volatile read
    }
    if (loadedAt < floor) {
      return false;
    }
    for (String t : tags) {
      Version v = versions.get(t);
      if (v != null && v.stamp() > loadedAt) {
        return false;
      }
    }
    return true;
  }

  /** Whether any of {@code tags} was invalidated after {@code loadedAt}; the same test as {@link #current}. */
  public boolean invalidatedSince(long loadedAt, String[] tags) {
    return !current(loadedAt, tags);
  }

  /** The newest WAL position loads of these tags must see, and the latest time one was invalidated without one. */
  public Requirement requirement(String[] tags) {
    long lsn = 0;
    long unknownAt = Long.MIN_VALUE;
    for (String t : tags) {
      Version v = versions.get(t);
      if (v != null) {
        lsn = Math.max(lsn, v.lsn());
        unknownAt = Math.max(unknownAt, v.unknownAtNanos());
      }
    }
    return lsn == 0 && unknownAt == Long.MIN_VALUE ? Requirement.NONE : new Requirement(lsn, unknownAt);
  }

  private synchronized void forgetOldest() {
    if (versions.size() <= maxTags) {
      return;
    }
    long[] stamps = versions.values().stream().mapToLong(Version::stamp).toArray();
    Arrays.sort(stamps);
    long cutoff = stamps[stamps.length / 2];
    // the floor rises before the versions go: an entry that relied on one of them is stale from now on
    raiseFloor(cutoff + 1);
    for (Map.Entry<String, Version> e : versions.entrySet()) {
      if (e.getValue().stamp() <= cutoff) {
        versions.remove(e.getKey(), e.getValue());
      }
    }
  }

  private synchronized void raiseFloor(long to) {
    if (to > floor) {
      floor = to;
    }
  }

  private synchronized void raiseLast(long to) {
    if (to > lastInvalidation) {
      lastInvalidation = to;
    }
  }

  int size() {
    return versions.size();
  }
}
