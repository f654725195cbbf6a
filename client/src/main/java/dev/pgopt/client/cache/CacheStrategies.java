package dev.pgopt.client.cache;

import java.time.Duration;

/** The strategies the seeds' teams used, as presets (TTLs and tags from their write-ups). */
public final class CacheStrategies {
  private CacheStrategies() {}

  public static final CacheStrategy USER_PROFILE = CacheStrategy.of("user_profile", Duration.ofMinutes(5), "user", "profile");
  public static final CacheStrategy CONTENT_DETAILS =
      CacheStrategy.of("content_details", Duration.ofMinutes(10), "content").compressAbove(1024);
  public static final CacheStrategy TRENDING = CacheStrategy.of("trending", Duration.ofMinutes(2), "analytics", "trending");
  public static final CacheStrategy SEARCH_RESULTS = CacheStrategy.of("search_results", Duration.ofMinutes(3), "search");
  public static final CacheStrategy DASHBOARD_METRICS =
      CacheStrategy.of("dashboard_metrics", Duration.ofMinutes(5), "dashboard", "metrics");
  public static final CacheStrategy RECENT_MESSAGES = CacheStrategy.of("recent_messages", Duration.ofMinutes(5), "messages");
  /** Embedding search results are large lists: compressed above 1 KiB. */
  public static final CacheStrategy VECTOR_SEARCH =
      CacheStrategy.of("vector_search", Duration.ofHours(1), "vector", "search").compressAbove(1024);
}
