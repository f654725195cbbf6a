package dev.pgopt.client.cache;

/** Loads a value on a cache miss, typically with a query. */
@FunctionalInterface
public interface ValueLoader<T> {
  T load() throws Exception;
}
