package dev.pgopt.client.cache;

/** The loader failed; its exception is the cause. Cache tiers never raise this: only the loader does. */
public final class CacheLoadException extends RuntimeException {
  public CacheLoadException(String key, Throwable cause) {
    super("loading cache key '" + key + "' failed: " + cause.getMessage(), cause);
  }
}
