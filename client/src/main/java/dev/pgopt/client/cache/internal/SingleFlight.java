package dev.pgopt.client.cache.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/** One load per key in flight: callers that miss while a load runs wait for its result instead of loading again. */
public final class SingleFlight {
  /** Work that may throw anything; its exception reaches every waiting caller. */
  @FunctionalInterface
  public interface Work<T> {
    T run() throws Exception;
  }

  private final ConcurrentHashMap<String, CompletableFuture<Object>> inFlight = new ConcurrentHashMap<>();

  @SuppressWarnings("unchecked")
  public <T> T run(String key, Work<T> work) throws Exception {
    CompletableFuture<Object> mine = new CompletableFuture<>();
    CompletableFuture<Object> running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      try {
        return (T) running.get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception ex ? ex : new IllegalStateException(e.getCause());
      }
    }
    try {
      T value = work.run();
      mine.complete(value);
      return value;
    } catch (Exception | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(key, mine);
    }
  }
}
