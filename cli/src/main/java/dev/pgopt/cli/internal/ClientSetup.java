package dev.pgopt.cli.internal;

import dev.pgopt.analyze.health.Units;
import dev.pgopt.client.ClientConfigurationException;
import dev.pgopt.client.PgoptDataSource;
import dev.pgopt.client.PgoptDataSourceBuilder;
import dev.pgopt.client.cache.CacheStats;
import dev.pgopt.client.cache.QueryCache;
import dev.pgopt.connect.Environment;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code pgopt bench --through-client} sends its requests through: a {@link PgoptDataSource} (pool, replicas), an
 * optional {@link QueryCache}, the request path over both, and what to say about them afterwards.
 */
public final class ClientSetup implements AutoCloseable {
  /** The data source or the cache could not be set up: the message says which and why. */
  public static final class Unavailable extends Exception {
    Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final PgoptDataSource dataSource;
  private final QueryCache queryCache;
  private final ClientPath path;
  private final int replicaCount;
  private final String cacheKind;

  private ClientSetup(PgoptDataSource dataSource, QueryCache queryCache, ClientPath path, int replicaCount, String cacheKind) {
    this.dataSource = dataSource;
    this.queryCache = queryCache;
    this.path = path;
    this.replicaCount = replicaCount;
    this.cacheKind = cacheKind;
  }

  /**
   * @param cacheKind null (no cache), {@code memory} or {@code redis}
   * @param redisUrl the Redis URL when {@code cacheKind} is {@code redis}
   * @param namespace the cache's key namespace: one per run, so another run's answers are not this run's hits
   */
  public static ClientSetup open(Environment env, String primaryUrl, int poolSize, Duration statementTimeout,
                                 List<String> replicaUrls, String cacheKind, String redisUrl, Duration ttl, String namespace)
      throws Unavailable {
    PgoptDataSource ds;
    try {
      PgoptDataSourceBuilder b = PgoptDataSource.builder().environment(env).primary(primaryUrl).poolSize(poolSize, poolSize)
          .statementTimeouts(statementTimeout, statementTimeout);
      for (int i = 0; i < replicaUrls.size(); i++) {
        b.replica("replica" + (i + 1), replicaUrls.get(i));
      }
      ds = b.build();
    } catch (ClientConfigurationException e) {
      throw new Unavailable("--through-client: " + e.getMessage(), e);
    }
    QueryCache qc = null;
    if (cacheKind != null) {
      try {
        QueryCache.Builder cb = QueryCache.builder().namespace(namespace).l1MaximumSize(100_000);
        qc = (cacheKind.equals("redis") ? cb.redis(redisUrl) : cb).build();
      } catch (RuntimeException e) {
        ds.close();
        throw new Unavailable("--cache: " + e.getMessage(), e);
      }
    }
    return new ClientSetup(ds, qc, new ClientPath(ds, qc, ttl), replicaUrls.size(), cacheKind);
  }

  public ClientPath path() {
    return path;
  }

  /** For the run's first line: {@code through pgopt-client (1 replica, cache redis)}. */
  public String described() {
    return "through pgopt-client (" + replicas() + (cacheKind == null ? ", no cache)" : ", cache " + cacheKind + ")");
  }

  /** The JSON report's {@code client}: replicas, cache kind and the cache's counters. */
  public Map<String, Object> summary() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("replicas", replicaCount);
    out.put("cache", cacheKind);
    CacheStats s = path.cacheStats();
    if (s != null) {
      out.put("l1_hits", s.l1Hits());
      out.put("l1_misses", s.l1Misses());
      out.put("l2_hits", s.l2Hits());
      out.put("l2_misses", s.l2Misses());
      out.put("l2_errors", s.l2Errors());
      out.put("loads", s.loads());
    }
    return out;
  }

  /** The human report's line on the cache: how many requests it answered, and from which tier. */
  public String cacheLine() {
    CacheStats s = path.cacheStats();
    if (s == null) {
      return "Through pgopt-client: " + replicas() + ", no cache.";
    }
    long asked = s.l1Hits() + s.l1Misses();
    return String.format(Locale.ROOT, "Through pgopt-client: %s, cache %s: of %s requests (all runs, warm-up"
            + " included) %.1f %% answered in process%s, %s loaded from the database.", replicas(), cacheKind,
        Units.count(asked), 100.0 * s.l1HitRate(),
        s.l2Hits() + s.l2Misses() > 0 ? String.format(Locale.ROOT, ", %.1f %% by Redis", asked == 0 ? 0 : 100.0 * s.l2Hits() / asked) : "",
        Units.count(s.loads()));
  }

  private String replicas() {
    return replicaCount + (replicaCount == 1 ? " replica" : " replicas");
  }

  @Override
  public void close() {
    if (queryCache != null) {
      queryCache.close();
    }
    dataSource.close();
  }
}
