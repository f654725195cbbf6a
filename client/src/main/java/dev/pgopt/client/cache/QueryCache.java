package dev.pgopt.client.cache;

import dev.pgopt.client.ClientConfigurationException;
import dev.pgopt.client.ConsistencyToken;
import dev.pgopt.client.cache.internal.CacheMeters;
import dev.pgopt.client.cache.internal.DatabaseInvalidationListener;
import dev.pgopt.client.cache.internal.L1Tier;
import dev.pgopt.client.cache.internal.RedisTier;
import dev.pgopt.client.cache.internal.SingleFlight;
import dev.pgopt.client.cache.internal.StoredValue;
import dev.pgopt.client.cache.internal.TagVersions;
import dev.pgopt.client.internal.LoadConsistency;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import javax.sql.DataSource;

/**
 * Cache-aside for query results: {@code cache.get(key, strategy, type, loader)} looks in L1 (Caffeine, in process),
 * then L2 (Redis, shared, optional), then runs the loader once per key however many callers miss together.
 * Invalidation by key or tag reaches every instance (Redis pub/sub) and can be driven by the database itself
 * (LISTEN/NOTIFY, see {@link DatabaseInvalidation}). If Redis is down, the cache serves from L1 and the loader; a
 * request never fails because of the cache.
 *
 * <p>Tags are versioned: an entry records the versions of its tags when its load began and is served only while they
 * are current, so no value loaded before an invalidation is served after this instance has heard it, whatever the
 * interleaving. An invalidation carries the writer's WAL position; a loader that reads through a {@code
 * PgoptDataSource} then reads only from replicas that have replayed it. The argument is in docs/client.md.
 */
public final class QueryCache implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.pgopt.client.cache");
  /** Internal tag names: every entry carries the namespace's, its key's and its strategy's. */
  private static final String ALL = "a:";
  private static final String KEY = "k:";
  private static final String TAG = "t:";
  /** How long Redis keeps a tag's stamp for a load in flight, and a tag's version after an invalidation, at least. */
  private static final long LEASE_MILLIS = 60_000;
  private static final int MAX_TAG_VERSIONS = 100_000;
  /** Invalidations Redis did not take, kept for when it is back; beyond this many, everything is invalidated then. */
  private static final int MAX_UNSENT = 10_000;

  private final L1Tier l1;
  private final RedisTier l2;
  private final TagVersions versions;
  private final ValueSerializer serializer;
  private final SingleFlight flights = new SingleFlight();
  private final CacheMeters meters = new CacheMeters();
  private final ConcurrentHashMap<String, Boolean> unsent = new ConcurrentHashMap<>();
  private final ReentrantLock flushing = new ReentrantLock();
  private final LongSupplier nanoTime;
  private final Clock clock;
  private final long unknownWindowNanos;
  private final DatabaseInvalidationListener databaseListener;

  private record Loaded(Object value, long loadedAt) {}

  private QueryCache(Builder b) {
    this.nanoTime = b.nanoTime;
    this.clock = b.clock;
    this.serializer = b.serializer;
    this.unknownWindowNanos = b.unknownPositionWindow.toNanos();
    this.l1 = new L1Tier(b.l1MaximumSize, nanoTime);
    this.versions = new TagVersions(MAX_TAG_VERSIONS, nanoTime);
    this.l2 = b.redisUrl == null ? null
        : RedisConnect.connect(b.redisUrl, b.namespace, b.redisTimeout, b.redisConnectTimeout, new Remote());
    if (l2 != null) {
      // an idle instance still hands Redis what it missed, so other instances stop finding the old values there
      l2.every(Duration.ofSeconds(1), () -> {
        if (!unsent.isEmpty()) {
          flushUnsent();
        }
      });
    }
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
      if (versions.current(hit.loadedAt(), hit.tags())) {
        meters.l1Hits.increment();
        return (T) hit.value();
      }
      l1.remove(key, hit);
    }
    meters.l1Misses.increment();
    String[] names = names(key, strategy.tags());
    long askedAt = versions.now();
    try {
      Loaded loaded = flights.run(key, () -> loadThroughTiers(key, names, strategy, type, loader));
      if (loaded.loadedAt() < askedAt && versions.invalidatedSince(loaded.loadedAt(), names)) {
        // joined a load that began before an invalidation this caller may have heard: its value may predate the write
        loaded = loadThroughTiers(key, names, strategy, type, loader);
      }
      return (T) loaded.value();
    } catch (CacheLoadException e) {
      throw e;
    } catch (Exception e) {
      throw new CacheLoadException(key, e);
    }
  }

  private <T> Loaded loadThroughTiers(String key, String[] names, CacheStrategy strategy, ValueType<T> type,
      ValueLoader<T> loader) {
    long loadedAt = versions.now();
    L1Tier.Entry raced = l1.get(key);
    if (raced != null && versions.current(raced.loadedAt(), raced.tags())) {
      return new Loaded(raced.value(), raced.loadedAt());
    }
    String canonical = String.join("\n", names);
    RedisTier.Lookup snapshot = null;
    if (l2Usable()) {
      try {
        RedisTier.Lookup found = l2.read(key, names, canonical, LEASE_MILLIS, unknownWindowNanos / 1_000_000);
        if (found.hit()) {
          long remainingMillis = StoredValue.expiresAtMillis(found.value()) - clock.millis();
          T value = serializer.deserialize(StoredValue.payload(found.value()), type);
          meters.l2Hits.increment();
          long ttl = TimeUnit.MILLISECONDS.toNanos(Math.min(remainingMillis, strategy.ttl().toMillis()));
          l1.put(key, new L1Tier.Entry(value, ttl, names, loadedAt));
          return new Loaded(value, loadedAt);
        }
        meters.l2Misses.increment();
        snapshot = found;
      } catch (Exception e) {
        l2Failed("read", e);
      }
    }
    ConsistencyToken required = required(names, snapshot);
    long start = nanoTime.getAsLong();
    T value;
    try {
      value = LoadConsistency.call(required, loader::load);
    } catch (Exception e) {
      meters.loadFailures.increment();
      throw new CacheLoadException(key, e);
    }
    meters.loaded(nanoTime.getAsLong() - start);
    if (value == null) {
      return new Loaded(null, loadedAt);
    }
    if (versions.current(loadedAt, names)) {
      l1.put(key, new L1Tier.Entry(value, strategy.ttl().toNanos(), names, loadedAt));
    }
    if (snapshot != null) {
      writeL2(key, names, canonical, snapshot.stamps(), value, strategy);
    }
    return new Loaded(value, loadedAt);
  }

  /** What the load must see: the newest position written behind an invalidation of its tags, heard here or in Redis. */
  private ConsistencyToken required(String[] names, RedisTier.Lookup snapshot) {
    TagVersions.Requirement local = versions.requirement(names);
    boolean unknownLately = local.unknownAtNanos() != Long.MIN_VALUE
        && nanoTime.getAsLong() - local.unknownAtNanos() < unknownWindowNanos;
    if (unknownLately || (snapshot != null && snapshot.primaryOnly())) {
      return ConsistencyToken.primaryOnly();
    }
    long lsn = Math.max(local.lsn(), snapshot == null ? 0 : snapshot.lsn());
    return lsn > 0 ? ConsistencyToken.ofLsn(lsn) : null;
  }

  private void writeL2(String key, String[] names, String canonical, String stamps, Object value, CacheStrategy strategy) {
    try {
      long ttl = strategy.ttl().toMillis();
      byte[] stored = StoredValue.encode(serializer.serialize(value), clock.millis() + ttl, strategy.compressAboveBytes());
      l2.put(key, names, canonical, stamps, stored, ttl, meters.l2Errors::increment);
    } catch (Exception e) {
      l2Failed("write", e);
    }
  }

  private void l2Failed(String what, Exception e) {
    meters.l2Errors.increment();
    LOG.log(System.Logger.Level.DEBUG, () -> "pgopt cache: Redis " + what + " failed, serving without L2: " + e.getMessage());
  }

  /** Redis may be used once it has every invalidation this instance made while it could not reach it. */
  private boolean l2Usable() {
    return l2 != null && (unsent.isEmpty() || flushUnsent());
  }

  private boolean flushUnsent() {
    if (!flushing.tryLock()) {
      return false;
    }
    try {
      if (unsent.isEmpty()) {
        return true;
      }
      List<String> batch = new ArrayList<>(unsent.keySet());
      l2.invalidate(batch, 0, false, true, LEASE_MILLIS);
      batch.forEach(unsent::remove);
      LOG.log(System.Logger.Level.INFO, "pgopt cache: sent " + batch.size() + " invalidations Redis missed");
      return true;
    } catch (RuntimeException e) {
      return false;
    } finally {
      flushing.unlock();
    }
  }

  private void rememberUnsent(List<String> names) {
    if (unsent.size() + names.size() > MAX_UNSENT) {
      unsent.clear();
      unsent.put(ALL, Boolean.TRUE);
    } else {
      names.forEach(n -> unsent.put(n, Boolean.TRUE));
    }
  }

  /** Drops {@code key} here, in Redis and in every other instance. The write's position is not known: see below. */
  public void invalidate(String key) {
    invalidate(null, key);
  }

  /**
   * Drops {@code key} everywhere after a write that {@code written} marks (from {@code PgoptDataSource.tx}): loads
   * that follow read only from replicas that have replayed it. A null token means the position is not known: loads of
   * the key go to the primary for the {@link Builder#unknownPositionWindow unknown-position window}.
   */
  public void invalidate(ConsistencyToken written, String key) {
    checkName("key", key);
    invalidateNames(List.of(KEY + key), written, true);
  }

  /** Drops every value carrying any of {@code tags}, everywhere (the write's position not known: see below). */
  public void invalidateTags(String... tags) {
    invalidateTags(null, tags);
  }

  /** Drops every value carrying any of {@code tags}, everywhere, after the write {@code written} marks (or null). */
  public void invalidateTags(ConsistencyToken written, String... tags) {
    List<String> names = new ArrayList<>(tags.length);
    for (String t : tags) {
      checkName("tag", t);
      names.add(TAG + t);
    }
    invalidateNames(names, written, true);
  }

  /** Drops every value of this cache's namespace, everywhere. */
  public void invalidateAll() {
    invalidateNames(List.of(ALL), null, true);
  }

  private void invalidateNames(List<String> names, ConsistencyToken written, boolean announce) {
    if (names.isEmpty()) {
      return;
    }
    boolean known = written != null && !written.requiresPrimary();
    long lsn = known ? written.lsn() : 0;
    if (l2 != null) {
      // Redis first: once this instance's versions move, a load here must not find the old value in Redis
      try {
        if (!unsent.isEmpty()) {
          flushUnsent();
        }
        l2.invalidate(names, lsn, known, announce, LEASE_MILLIS);
      } catch (RuntimeException e) {
        l2Failed("invalidate", e);
        rememberUnsent(names);
      }
    }
    versions.invalidate(names, lsn, known);
  }

  private static String[] names(String key, Set<String> tags) {
    String[] names = new String[2 + tags.size()];
    names[0] = ALL;
    names[1] = KEY + key;
    int i = 2;
    for (String t : tags) {
      checkName("tag", t);
      names[i++] = TAG + t;
    }
    Arrays.sort(names);
    return names;
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

  /** Invalidations announced by other instances: they already changed Redis. */
  private final class Remote implements RedisTier.Invalidations {
    @Override
    public void invalidated(Collection<String> tags, long lsn, boolean positionKnown) {
      versions.invalidate(tags, lsn, positionKnown);
    }

    @Override
    public void reconnected() {
      // Invalidations published while we were cut off are lost: nothing loaded before now is trusted.
      versions.invalidateAll();
    }
  }

  /** NOTIFYs from triggers: every instance hears them, so none re-announces. */
  private final class FromDatabase implements DatabaseInvalidationListener.Target {
    @Override
    public void tags(Collection<String> tags, long lsn) {
      List<String> names = new ArrayList<>(tags.size());
      for (String t : tags) {
        if (!t.isEmpty() && t.length() <= 512 && t.indexOf('\n') < 0) {
          names.add(TAG + t);
        }
      }
      invalidateNames(names, lsn > 0 ? ConsistencyToken.ofLsn(lsn) : null, false);
    }

    @Override
    public void reconnected() {
      versions.invalidateAll();
    }
  }

  public static final class Builder {
    private String redisUrl;
    private String namespace = "default";
    private Duration redisTimeout = Duration.ofMillis(250);
    private Duration redisConnectTimeout = Duration.ofSeconds(2);
    private Duration unknownPositionWindow = Duration.ofSeconds(5);
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

    /**
     * After an invalidation whose write position is not known (no token given), loads of its tags read from the
     * primary for this long (default 5 s; keep it at least the data source's replica lag limit).
     */
    public Builder unknownPositionWindow(Duration window) {
      if (window.isNegative() || window.compareTo(Duration.ofMillis(LEASE_MILLIS)) > 0) {
        throw new ClientConfigurationException("unknownPositionWindow must be between 0 and 60 s, got " + window);
      }
      this.unknownPositionWindow = window;
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
