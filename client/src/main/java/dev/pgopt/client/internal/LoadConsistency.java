package dev.pgopt.client.internal;

import dev.pgopt.client.ConsistencyToken;
import java.util.concurrent.Callable;

/**
 * The position a cache load must see, handed from the cache to any {@code PgoptDataSource} the loader reads through on
 * the same thread: the loader's reads wait for a replica that has replayed it (bounded), else go to the primary. Data
 * sources pay one volatile read until a cache first needs it.
 */
public final class LoadConsistency {
  private static final ThreadLocal<ConsistencyToken> REQUIRED = new ThreadLocal<>();
  private static volatile boolean used;

  private LoadConsistency() {}

  /** Runs {@code work} with reads on this thread required to see {@code token} (null: no requirement). */
  public static <T> T call(ConsistencyToken token, Callable<T> work) throws Exception {
    if (token == null) {
      return work.call();
    }
    used = true;
    ConsistencyToken previous = REQUIRED.get();
    REQUIRED.set(token.max(previous));
    try {
      return work.call();
    } finally {
      if (previous == null) {
        REQUIRED.remove();
      } else {
        REQUIRED.set(previous);
      }
    }
  }

  /** The requirement on this thread, or null. */
  public static ConsistencyToken current() {
    return used ? REQUIRED.get() : null;
  }
}
