package dev.pgopt.client.cache;

import dev.pgopt.client.ClientConfigurationException;
import dev.pgopt.client.cache.internal.CacheMeters;
import dev.pgopt.client.cache.internal.DatabaseInvalidationListener;
import dev.pgopt.client.cache.internal.L1Tier;
import dev.pgopt.client.cache.internal.RecentInvalidations;
import dev.pgopt.client.cache.internal.RedisTier;
import dev.pgopt.client.cache.internal.SingleFlight;
import dev.pgopt.client.cache.internal.StoredValue;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import javax.sql.DataSource;

/**
 * Cache-aside for query results: {@code cache.get(key, strategy, type, loader)} looks in L1 (Caffeine, in process),
 * then L2 (Redis, shared, optional), then runs the loader once per key however many callers miss together.
 * Invalidation by key or tag reaches every instance (Redis pub/sub) and can be driven by the database itself
 * (LISTEN/NOTIFY, see {@link DatabaseInvalidation}). If Redis is down, the cache serves from L1 and the loader; a
 * request never fails because of the cache.
 */
public final class QueryCache implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.pgopt.client.cache");

  private final L1Tier l1;
  private final RedisTier l2;
  private final ValueSerializer serializer;
  private final SingleFlight flights = new SingleFlight();
  private final RecentInvalidations recent;
  private final CacheMeters meters = new CacheMeters();
  private final LongSupplier nanoTime;
  private final Clock clock;
  private final DatabaseInvalidationListener databaseListener;

  private QueryCache(Builder b) {
    this.nanoTime = b.nanoTime;
    this.clock = b.clock;
    this.serializer = b.serializer;
    this.l1 = new L1Tier(b.l1MaximumSize, nanoTime);
    this.recent = new RecentInvalidations(nanoTime);
    this.l2 = b.redisUrl == null ? null
        : RedisConnect.connect(b.redisUrl, b.namespace, b.redisTimeout, b.redisConnectTimeout, new Remote());
    if (b.registry != null) {
      meters.register(b.registry, b.namespace, l1);
      if (l2 != null) {
        io.micrometer.core.instrument.Gauge.builder("pgopt.cache.redis.connected", this, q -> q.redisConnected() ? 1 : 0)
            .description("1 while the Redis tier is connected; 0 while the cache serves from L1 only")
            .tag("cache", b.namespace).register(b.registry);
      }
    }
    this.databaseListener = b.notifySource == null ? null
        : new DatabaseInvalidationListener(b.notifySource, DatabaseInvalidation.CHANNEL, new FromDatabase());
  }

  public static Builder builder() {
    return new Builder();
  }

  public <T> T get(String key, CacheStrategy strategy, Class<T> type, ValueLoader<T> loader) {
    return get(key, strategy, ValueType.of(type), loader);
  }

  /**
   * The cached value for {@code key}, or the loader's (cached per {@code strategy}). Null results are not cached.
   *
   * @throws CacheLoadException when the loader fails; a cache tier failing never throws
   */
  @SuppressWarnings("unchecked")
  public <T> T get(String key, CacheStrategy strategy, ValueType<T> type, ValueLoader<T> loader) {
    checkName("key", key);
    L1Tier.Entry hit = l1.get(key);
    if (hit != null) {
      meters.l1Hits.increment();
      return (T) hit.value();
    }
    meters.l1Misses.increment();
    try {
      return flights.run(key, () -> loadThroughTiers(key, strategy, type, loader));
    } catch (CacheLoadException e) {
      throw e;
    } catch (Exception e) {
      throw new CacheLoadException(key, e);
    }
  }

  @SuppressWarnings("unchecked")
  private <T> T loadThroughTiers(String key, CacheStrategy strategy, ValueType<T> type, ValueLoader<T> loader) {
    L1Tier.Entry raced = l1.get(key);
    if (raced != null) {
      return (T) raced.value();
    }
    if (l2 != null) {
      T fromRedis = readL2(key, strategy, type);
      if (fromRedis != null) {
        return fromRedis;
      }
    }
    long start = nanoTime.getAsLong();
    T value;
    try {
      value = loader.load();
    } catch (Exception e) {
      meters.loadFailures.increment();
      throw new CacheLoadException(key, e);
    }
    meters.loaded(nanoTime.getAsLong() - start);
    if (value == null || recent.since(start, key, strategy.tags())) {
      return value;
    }
    l1.put(key, value, strategy.ttl().toNanos(), strategy.tags());
    if (l2 != null) {
      writeL2(key, value, strategy);
    }
    return value;
  }

  private <T> T readL2(String key, CacheStrategy strategy, ValueType<T> type) {
    try {
      byte[] stored = l2.get(key);
      if (stored == null) {
        meters.l2Misses.increment();
        return null;
      }
      long remainingMillis = StoredValue.expiresAtMillis(stored) - clock.millis();
      T value = serializer.deserialize(StoredValue.payload(stored), type);
      meters.l2Hits.increment();
      l1.put(key, value, TimeUnit.MILLISECONDS.toNanos(Math.min(remainingMillis, strategy.ttl().toMillis())), strategy.tags());
      return value;
    } catch (Exception e) {
      l2Failed("read", e);
      return null;
    }
  }

  private void writeL2(String key, Object value, CacheStrategy strategy) {
    try {
      long ttl = strategy.ttl().toMillis();
      byte[] stored = StoredValue.encode(serializer.serialize(value), clock.millis() + ttl, strategy.compressAboveBytes());
      l2.put(key, stored, ttl, strategy.tags(), meters.l2Errors::increment);
    } catch (Exception e) {
      l2Failed("write", e);
    }
  }

  private void l2Failed(String what, Exception e) {
    meters.l2Errors.increment();
    LOG.log(System.Logger.Level.DEBUG, () -> "pgopt cache: Redis " + what + " failed, serving without L2: " + e.getMessage());
  }

  /** Drops {@code key} here, in Redis and in every other instance's L1. */
  public void invalidate(String key) {
    checkName("key", key);
    recent.key(key);
    l1.invalidate(key);
    if (l2 != null) {
      try {
        l2.invalidateKeys(List.of(key), true);
      } catch (RuntimeException e) {
        l2Failed("invalidate", e);
      }
    }
  }

  /** Drops every value carrying any of {@code tags}, everywhere. */
  public void invalidateTags(String... tags) {
    invalidateTags(List.of(tags), true);
  }

  private void invalidateTags(Collection<String> tags, boolean announce) {
    for (String t : tags) {
      checkName("tag", t);
      recent.tag(t);
      l1.invalidateTag(t);
    }
    if (l2 != null && !tags.isEmpty()) {
      try {
        l2.invalidateTags(tags, announce);
      } catch (RuntimeException e) {
        l2Failed("invalidate", e);
      }
    }
  }

  /**
   * Loads the given entries now (e.g. at start-up, before traffic), each through the normal path so existing copies
   * are reused. Returns how many loaded; a failing loader is logged and skipped.
   */
  public int warmUp(Collection<WarmUp<?>> entries) {
    int ok = 0;
    for (WarmUp<?> w : entries) {
      try {
        warm(w);
        ok++;
      } catch (CacheLoadException e) {
        LOG.log(System.Logger.Level.WARNING, "pgopt cache warm-up: " + e.getMessage());
      }
    }
    return ok;
  }

  private <T> void warm(WarmUp<T> w) {
    get(w.key(), w.strategy(), w.type(), w.loader());
  }

  /** One entry for {@link #warmUp}. */
  public record WarmUp<T>(String key, CacheStrategy strategy, ValueType<T> type, ValueLoader<T> loader) {}

  /** Whether the Redis tier is connected now; false without one, or while it is down or not reached yet. */
  public boolean redisConnected() {
    return l2 != null && l2.isConnected();
  }

  public CacheStats stats() {
    long loads = meters.loads.sum();
    return new CacheStats(meters.l1Hits.sum(), meters.l1Misses.sum(), l1.evictions(), meters.l2Hits.sum(),
        meters.l2Misses.sum(), meters.l2Errors.sum(), loads, meters.loadFailures.sum(),
        loads == 0 ? 0 : meters.loadNanos.sum() / 1e6 / loads);
  }

  private static void checkName(String what, String s) {
    Objects.requireNonNull(s, what);
    if (s.isEmpty() || s.indexOf('\n') >= 0 || s.length() > 512) {
      throw new IllegalArgumentException("cache " + what + " must be 1-512 characters without line breaks");
    }
  }

  @Override
  public void close() {
    if (databaseListener != null) {
      databaseListener.close();
    }
    if (l2 != null) {
      l2.close();
    }
  }

  /** Invalidations announced by other instances: L1 only, they already changed Redis. */
  private final class Remote implements RedisTier.Invalidations {
    @Override
    public void keys(Collection<String> keys) {
      keys.forEach(k -> {
        recent.key(k);
        l1.invalidate(k);
      });
    }

    @Override
    public void tags(Collection<String> tags) {
      tags.forEach(t -> {
        recent.tag(t);
        l1.invalidateTag(t);
      });
    }

    @Override
    public void reconnected() {
      // Invalidations published while we were cut off are lost: start L1 afresh rather than serve stale copies.
      l1.clear();
    }
  }

  /** NOTIFYs from triggers: every instance hears them, so none re-announces. */
  private final class FromDatabase implements DatabaseInvalidationListener.Target {
    @Override
    public void tags(Collection<String> tags) {
      invalidateTags(tags, false);
    }

    @Override
    public void reconnected() {
      l1.clear();
    }
  }

  public static final class Builder {
    private String redisUrl;
    private String namespace = "default";
    private Duration redisTimeout = Duration.ofMillis(250);
    private Duration redisConnectTimeout = Duration.ofSeconds(2);
    private long l1MaximumSize = 10_000;
    private ValueSerializer serializer = new JacksonValueSerializer();
    private MeterRegistry registry;
    private DataSource notifySource;
    private LongSupplier nanoTime = System::nanoTime;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** Adds the Redis tier ({@code redis://host:6379/0}, {@code rediss://} for TLS). Without it the cache is L1 only. */
    public Builder redis(String url) {
      this.redisUrl = url;
      return this;
    }

    /** Keeps this cache's Redis keys apart from other applications' (default "default"). */
    public Builder namespace(String namespace) {
      if (namespace == null || !namespace.matches("[A-Za-z0-9_.-]{1,64}")) {
        throw new ClientConfigurationException("cache namespace must be 1-64 letters, digits, . _ -, got '" + namespace + "'");
      }
      this.namespace = namespace;
      return this;
    }

    /** How long a Redis call may take before it counts as a miss (default 250 ms). */
    public Builder redisTimeout(Duration timeout) {
      if (timeout.toMillis() <= 0) {
        throw new ClientConfigurationException("redisTimeout must be positive");
      }
      this.redisTimeout = timeout;
      return this;
    }

    /**
     * How long to wait for Redis to answer when connecting (default 2 s). A Redis that does not answer in time does not
     * stop the build: the cache starts with L1 only and connects in the background.
     */
    public Builder redisConnectTimeout(Duration timeout) {
      if (timeout.toMillis() <= 0) {
        throw new ClientConfigurationException("redisConnectTimeout must be positive");
      }
      this.redisConnectTimeout = timeout;
      return this;
    }

    public Builder l1MaximumSize(long entries) {
      if (entries < 0) {
        throw new ClientConfigurationException("l1MaximumSize cannot be negative, got " + entries);
      }
      this.l1MaximumSize = entries;
      return this;
    }

    public Builder serializer(ValueSerializer serializer) {
      this.serializer = Objects.requireNonNull(serializer);
      return this;
    }

    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = registry;
      return this;
    }

    /**
     * Listens for NOTIFYs from {@link DatabaseInvalidation} triggers on a connection held from {@code primary} (use
     * the primary: standbys do not deliver notifications).
     */
    public Builder invalidateFromDatabase(DataSource primary) {
      this.notifySource = primary;
      return this;
    }

    public Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime);
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /**
     * @throws ClientConfigurationException for a malformed Redis URL; a Redis that cannot be reached yet is not an
     *     error (the cache serves from L1 and connects in the background; see {@code pgopt.cache.redis.connected})
     */
    public QueryCache build() {
      return new QueryCache(this);
    }
  }

  /** Keeps Lettuce classes out of QueryCache's signature, so an L1-only application does not need them. */
  private static final class RedisConnect {
    static RedisTier connect(String url, String namespace, Duration timeout, Duration connectTimeout,
                             RedisTier.Invalidations listener) {
      io.lettuce.core.RedisURI uri;
      try {
        uri = io.lettuce.core.RedisURI.create(url);
      } catch (RuntimeException e) {
        throw new ClientConfigurationException("Redis URL '" + redact(url) + "' is not valid: " + e.getMessage()
            + " (expected redis://[:password@]host:port[/db])");
      }
      return new RedisTier(uri, namespace, timeout, connectTimeout, listener);
    }

    private static String redact(String url) {
      return url.replaceAll("//[^@/]*@", "//****@");
    }
  }

}
