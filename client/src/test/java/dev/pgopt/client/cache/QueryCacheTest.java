package dev.pgopt.client.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.client.ClientConfigurationException;
import dev.pgopt.local.FreePort;
import dev.pgopt.local.LocalRedis;
import dev.pgopt.local.ServiceUser;
import dev.pgopt.testkit.DelayingProxy;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class QueryCacheTest {
  public record Profile(long id, String name, List<String> tags) {}

  private static final CacheStrategy PROFILE = CacheStrategies.USER_PROFILE;

  /** Redis writes are asynchronous: wait until the value is there before reading from another instance. */
  private static void awaitInRedis(LocalRedis redis, String namespace, String key) throws InterruptedException {
    io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.uri());
    try (var c = client.connect()) {
      Probe.waitUntil(() -> c.sync().exists("pgopt:" + namespace + ":e:" + key) == 1);
    } finally {
      client.shutdown();
    }
  }

  @Test
  void missLoadsOnceThenL1ThenL2FromAnotherInstance(LocalRedis redis) throws Exception {
    AtomicInteger loads = new AtomicInteger();
    try (QueryCache a = QueryCache.builder().redis(redis.uri()).namespace("t1").build();
        QueryCache b = QueryCache.builder().redis(redis.uri()).namespace("t1").build()) {
      ValueLoader<Profile> loader = () -> {
        loads.incrementAndGet();
        return new Profile(1, "ada", List.of("x"));
      };
      assertThat(a.get("user:1", PROFILE, Profile.class, loader)).isEqualTo(new Profile(1, "ada", List.of("x")));
      assertThat(a.get("user:1", PROFILE, Profile.class, loader).name()).isEqualTo("ada");
      awaitInRedis(redis, "t1", "user:1");
      assertThat(b.get("user:1", PROFILE, Profile.class, loader).name()).isEqualTo("ada");
      assertThat(loads).hasValue(1);
      assertThat(a.stats().l1Hits()).isEqualTo(1);
      assertThat(b.stats().l2Hits()).isEqualTo(1);
      assertThat(b.stats().l1Misses()).isEqualTo(1);
    }
  }

  @Test
  void largeValuesAreCompressedAndReadBackWithGenerics(LocalRedis redis) throws Exception {
    ValueType<List<Profile>> listOfProfiles = new ValueType<>() {};
    List<Profile> many = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      many.add(new Profile(i, "name-" + i, List.of("tag", "tag")));
    }
    try (QueryCache a = QueryCache.builder().redis(redis.uri()).namespace("t2").build();
        QueryCache b = QueryCache.builder().redis(redis.uri()).namespace("t2").build()) {
      a.get("search:q", CacheStrategies.VECTOR_SEARCH, listOfProfiles, () -> many);
      awaitInRedis(redis, "t2", "search:q");
      List<Profile> back = b.get("search:q", CacheStrategies.VECTOR_SEARCH, listOfProfiles, () -> List.of());
      assertThat(back).isEqualTo(many);
      assertThat(b.stats().l2Hits()).isEqualTo(1);
    }
  }

  @Test
  void oneLoadPerKeyInFlight() throws Exception {
    AtomicInteger loads = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    try (QueryCache cache = QueryCache.builder().build()) {
      ExecutorService pool = Executors.newFixedThreadPool(16);
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        results.add(pool.submit(() -> cache.get("hot", PROFILE, String.class, () -> {
          loads.incrementAndGet();
          release.await();
          return "v";
        })));
      }
      Probe.waitUntil(() -> loads.get() == 1);
      Thread.sleep(100);
      release.countDown();
      for (Future<String> f : results) {
        assertThat(f.get()).isEqualTo("v");
      }
      pool.shutdown();
      assertThat(loads).hasValue(1);
    }
  }

  @Test
  void entriesExpireByTheirStrategysTtl() {
    AtomicLong now = new AtomicLong();
    AtomicInteger loads = new AtomicInteger();
    try (QueryCache cache = QueryCache.builder().nanoTime(now::get).build()) {
      CacheStrategy shortLived = CacheStrategy.of("short", Duration.ofSeconds(10));
      ValueLoader<Integer> loader = loads::incrementAndGet;
      cache.get("k", shortLived, Integer.class, loader);
      now.addAndGet(Duration.ofSeconds(9).toNanos());
      assertThat(cache.get("k", shortLived, Integer.class, loader)).isEqualTo(1);
      now.addAndGet(Duration.ofSeconds(2).toNanos());
      assertThat(cache.get("k", shortLived, Integer.class, loader)).isEqualTo(2);
    }
  }

  @Test
  void tagInvalidationOnOneInstanceReachesTheOther(LocalRedis redis) throws Exception {
    AtomicInteger loads = new AtomicInteger();
    try (QueryCache a = QueryCache.builder().redis(redis.uri()).namespace("t3").build();
        QueryCache b = QueryCache.builder().redis(redis.uri()).namespace("t3").build()) {
      CacheStrategy forUser7 = PROFILE.withTags("user:7");
      ValueLoader<Integer> loader = loads::incrementAndGet;
      a.get("user:7:profile", forUser7, Integer.class, loader);
      awaitInRedis(redis, "t3", "user:7:profile");
      b.get("user:7:profile", forUser7, Integer.class, loader);
      b.get("user:8:profile", PROFILE.withTags("user:8"), Integer.class, loader);
      assertThat(loads).hasValue(2);

      a.invalidateTags("user:7");
      // b's L1 copy goes when the pub/sub message arrives; Redis's copy is already gone.
      Probe.waitUntil(() -> b.get("user:7:profile", forUser7, Integer.class, loader) == 3);
      assertThat(b.get("user:8:profile", PROFILE.withTags("user:8"), Integer.class, loader)).isEqualTo(2);
      awaitInRedis(redis, "t3", "user:7:profile");
      assertThat(a.get("user:7:profile", forUser7, Integer.class, loader)).isEqualTo(3);
    }
  }

  @Test
  void redisOutageFailsNoRequestAndTheHitRateRecovers(LocalRedis ignored) throws Exception {
    Path dir = Files.createTempDirectory("pgopt-redis-");
    ServiceUser.createPrivateDirectory(dir);
    int port = FreePort.find();
    LocalRedis redis = LocalRedis.start(dir.resolve("1"), port);
    AtomicInteger loads = new AtomicInteger();
    // No L1, so every request exercises Redis.
    try (QueryCache cache = QueryCache.builder().redis("redis://127.0.0.1:" + port).l1MaximumSize(0).build()) {
      ValueLoader<String> loader = () -> "v" + loads.incrementAndGet();
      AtomicInteger failures = new AtomicInteger();
      Runnable requests = () -> {
        for (int i = 0; i < 200; i++) {
          try {
            assertThat(cache.get("k" + (i % 10), PROFILE, String.class, loader)).startsWith("v");
          } catch (RuntimeException e) {
            failures.incrementAndGet();
          }
        }
      };
      for (int k = 0; k < 10; k++) {
        cache.get("k" + k, PROFILE, String.class, loader);
        awaitInRedis(redis, "default", "k" + k);
      }
      requests.run();
      assertThat(cache.stats().l2Hits()).isEqualTo(200);

      redis.close();
      requests.run();
      CacheStats during = cache.stats();
      assertThat(during.l2Errors()).isGreaterThan(0);

      redis = LocalRedis.start(dir.resolve("2"), port);
      Probe.waitUntil(() -> {
        long hits = cache.stats().l2Hits();
        requests.run();
        return cache.stats().l2Hits() - hits >= 190;
      });
      assertThat(failures).hasValue(0);
    } finally {
      redis.close();
      try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  void writesByAnyApplicationInvalidateThroughNotify(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE profiles (id int PRIMARY KEY, name text)", "INSERT INTO profiles VALUES (1, 'ada'), (2, 'bob')");
    try (Connection c = db.connect()) {
      DatabaseInvalidation.installTrigger(c, "profiles", "pr", "id");
    }
    org.postgresql.ds.PGSimpleDataSource primary = new org.postgresql.ds.PGSimpleDataSource();
    primary.setUrl(db.jdbcUrl());
    primary.setUser(db.cluster().superuser());
    primary.setPassword(db.cluster().password());
    try (QueryCache cache = QueryCache.builder().invalidateFromDatabase(primary).build()) {
      ValueLoader<String> load1 = () -> name(db, 1);
      CacheStrategy p1 = PROFILE.withTags("pr:1");
      assertThat(cache.get("p1", p1, String.class, load1)).isEqualTo("ada");
      assertThat(cache.get("p2", PROFILE.withTags("pr:2"), String.class, () -> name(db, 2))).isEqualTo("bob");
      try (Connection watch = db.connect()) {
        Probe.waitUntil(() -> Probe.exists(watch, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
            + "AND query LIKE 'LISTEN %'"));
      }
      db.execute("UPDATE profiles SET name = 'ada lovelace' WHERE id = 1");
      Probe.waitUntil(() -> cache.get("p1", p1, String.class, load1).equals("ada lovelace"));
      // Row-level tags: profile 2 was not touched, so its entry stayed.
      assertThat(cache.get("p2", PROFILE.withTags("pr:2"), String.class, () -> "reloaded")).isEqualTo("bob");
    }
  }

  private static String name(TestDatabase db, int id) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT name FROM profiles WHERE id = " + id)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void badRedisUrlsFailAtBuildWithOneLine() {
    assertThatThrownBy(() -> QueryCache.builder().redis("http://nope").build())
        .isInstanceOf(ClientConfigurationException.class)
        .hasMessageStartingWith("Redis URL 'http://nope' is not valid");
    assertThatThrownBy(() -> QueryCache.builder().namespace("has space"))
        .isInstanceOf(ClientConfigurationException.class);
    assertThatThrownBy(() -> QueryCache.builder().redisConnectTimeout(Duration.ZERO))
        .isInstanceOf(ClientConfigurationException.class);
  }

  @Test
  void anApplicationStartsWhileRedisIsDownAndTheCacheConnectsWhenItComesUp() throws Exception {
    Path dir = Files.createTempDirectory("pgopt-redis-");
    ServiceUser.createPrivateDirectory(dir);
    int port = FreePort.find();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicInteger loads = new AtomicInteger();
    long start = System.nanoTime();
    try (QueryCache cache = QueryCache.builder().redis("redis://127.0.0.1:" + port).namespace("late")
        .redisConnectTimeout(Duration.ofMillis(300)).meterRegistry(registry).build()) {
      assertThat((System.nanoTime() - start) / 1e9).as("build does not wait for Redis").isLessThan(5);
      assertThat(cache.redisConnected()).isFalse();
      assertThat(registry.get("pgopt.cache.redis.connected").gauge().value()).isZero();
      // L1 only meanwhile: loads once, then hits, and no exception reaches the caller
      assertThat(cache.get("k", PROFILE, String.class, () -> "v" + loads.incrementAndGet())).isEqualTo("v1");
      assertThat(cache.get("k", PROFILE, String.class, () -> "v" + loads.incrementAndGet())).isEqualTo("v1");
      cache.invalidateTags("nothing");
      LocalRedis redis = LocalRedis.start(dir.resolve("1"), port);
      try {
        Probe.waitUntil(cache::redisConnected);
        assertThat(registry.get("pgopt.cache.redis.connected").gauge().value()).isEqualTo(1);
        // L1 was started afresh (invalidations may have been missed), and values now reach Redis for other nodes
        assertThat(cache.get("k", PROFILE, String.class, () -> "v" + loads.incrementAndGet())).isEqualTo("v2");
        awaitInRedis(redis, "late", "k");
      } finally {
        redis.close();
      }
    }
  }

  @Test
  void noValueLoadedBeforeAnInvalidationIsServedAfterItInProcess() throws Exception {
    try (QueryCache cache = QueryCache.builder().build()) {
      assertThat(racingRounds(cache, cache, 20_000)).isEmpty();
    }
  }

  @Test
  void noValueLoadedBeforeAnInvalidationIsServedAfterItAcrossTiers(LocalRedis redis) throws Exception {
    // L1 kept tiny so reads keep going to Redis, where the old value must not come back from
    try (QueryCache a = QueryCache.builder().redis(redis.uri()).namespace("race").l1MaximumSize(2).build();
        QueryCache b = QueryCache.builder().redis(redis.uri()).namespace("race").l1MaximumSize(2).build()) {
      assertThat(racingRounds(a, b, 3_000)).isEmpty();
    }
  }

  /**
   * A writer bumps a counter (the "database") and invalidates its tag on {@code writer}, while readers on the same
   * instance load it through the cache. A read that starts after {@code invalidateTags} returned must see at least the
   * bumped value. Returns what was seen instead.
   */
  private static List<String> racingRounds(QueryCache writer, QueryCache other, int rounds) throws Exception {
    AtomicLong database = new AtomicLong();
    AtomicLong invalidated = new AtomicLong();
    java.util.concurrent.ConcurrentLinkedQueue<String> stale = new java.util.concurrent.ConcurrentLinkedQueue<>();
    java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
    CacheStrategy counter = CacheStrategy.of("counter", Duration.ofMinutes(5), "counter");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> readers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      QueryCache cache = t % 2 == 0 ? writer : other;
      boolean sameInstance = cache == writer;
      readers.add(pool.submit(() -> {
        while (running.get()) {
          long required = sameInstance ? invalidated.get() : 0;
          long got = cache.get("counter", counter, Long.class, database::get);
          if (got < required && stale.size() < 100) {
            stale.add("got " + got + " after invalidation of " + required);
          }
        }
        return null;
      }));
    }
    for (int r = 0; r < rounds; r++) {
      long v = database.incrementAndGet();
      writer.invalidateTags("counter");
      invalidated.set(v);
    }
    running.set(false);
    for (Future<?> f : readers) {
      f.get();
    }
    pool.shutdown();
    // the other instance hears it by pub/sub: once that has had time, it must agree too
    if (other != writer) {
      long last = database.get();
      Probe.waitUntil(() -> other.get("counter", counter, Long.class, database::get) == last);
    }
    return List.copyOf(stale);
  }

  @Test
  void aSlowRedisFailsNoRequestAndItsMissedInvalidationsArriveWhenItRecovers(LocalRedis redis) throws Exception {
    java.util.concurrent.atomic.AtomicReference<String> database = new java.util.concurrent.atomic.AtomicReference<>("v1");
    CacheStrategy s = CacheStrategy.of("s", Duration.ofMinutes(5), "row");
    try (DelayingProxy proxy = DelayingProxy.to("127.0.0.1", redis.port());
        QueryCache slow = QueryCache.builder().redis("redis://127.0.0.1:" + proxy.port()).namespace("slow")
            .l1MaximumSize(0).build();
        QueryCache direct = QueryCache.builder().redis(redis.uri()).namespace("slow").l1MaximumSize(0).build()) {
      assertThat(slow.get("k", s, String.class, database::get)).isEqualTo("v1");
      awaitInRedis(redis, "slow", "k");
      assertThat(direct.get("k", s, String.class, () -> "not from Redis")).isEqualTo("v1");

      proxy.delay(Duration.ofMillis(800)); // over the 250 ms command timeout
      database.set("v2");
      slow.invalidateTags("row"); // cannot reach Redis in time: kept for later
      long start = System.nanoTime();
      for (int i = 0; i < 5; i++) {
        assertThat(slow.get("k", s, String.class, database::get)).isEqualTo("v2");
      }
      assertThat((System.nanoTime() - start) / 1e6 / 5).as("ms per request while Redis is slow").isLessThan(1000);
      assertThat(slow.stats().l2Errors()).isGreaterThan(0);

      proxy.delay(Duration.ZERO);
      // the missed invalidation reaches Redis without another request on the slow instance
      Probe.waitUntil(() -> direct.get("k", s, String.class, database::get).equals("v2"));
      long hits = slow.stats().l2Hits();
      Probe.waitUntil(() -> {
        slow.get("k", s, String.class, database::get);
        return slow.stats().l2Hits() > hits;
      });
    }
  }

  @Test
  void anInvalidationMadeWhileCutOffFromRedisReachesItWhenThePathIsBack(LocalRedis redis) throws Exception {
    java.util.concurrent.atomic.AtomicReference<String> database = new java.util.concurrent.atomic.AtomicReference<>("v1");
    CacheStrategy s = CacheStrategy.of("s", Duration.ofMinutes(5), "row");
    try (DelayingProxy path = DelayingProxy.to("127.0.0.1", redis.port());
        QueryCache writer = QueryCache.builder().redis("redis://127.0.0.1:" + path.port()).namespace("cut").build();
        QueryCache reader = QueryCache.builder().redis(redis.uri()).namespace("cut").l1MaximumSize(0).build()) {
      assertThat(writer.get("k", s, String.class, database::get)).isEqualTo("v1");
      awaitInRedis(redis, "cut", "k");
      path.cut(true);
      Probe.waitUntil(() -> !writer.redisConnected());
      database.set("v2");
      writer.invalidateTags("row"); // Redis is up for the reader, but this instance cannot tell it
      assertThat(writer.get("k", s, String.class, database::get)).isEqualTo("v2");
      path.cut(false);
      // the reader stops finding v1 in Redis once the writer is back on the path (not after the 5-minute TTL)
      Probe.waitUntil(() -> reader.get("k", s, String.class, database::get).equals("v2"));
    }
  }

  @Test
  void hostileKeysAndTagsAreJustNames(LocalRedis redis) throws Exception {
    // quotes, Lua pattern characters, commas (the stamp separator), spaces, unicode, a 512-character name
    String key = "user:1' OR 1=1 --,%[]().*+-?^$ \u00e9\u4e2d" + "k".repeat(470);
    String tag = "t,%[^,]+.*$\" \u00e9";
    CacheStrategy s = CacheStrategy.of("h", Duration.ofMinutes(5), tag);
    AtomicInteger loads = new AtomicInteger();
    try (QueryCache a = QueryCache.builder().redis(redis.uri()).namespace("hostile").build();
        QueryCache b = QueryCache.builder().redis(redis.uri()).namespace("hostile").l1MaximumSize(0).build()) {
      assertThat(a.get(key, s, Integer.class, loads::incrementAndGet)).isEqualTo(1);
      awaitInRedis(redis, "hostile", key);
      assertThat(b.get(key, s, Integer.class, loads::incrementAndGet)).as("from Redis").isEqualTo(1);
      a.invalidateTags(tag);
      assertThat(b.get(key, s, Integer.class, loads::incrementAndGet)).isEqualTo(2);
      Probe.waitUntil(() -> a.get(key, s, Integer.class, loads::incrementAndGet) >= 2);
      a.invalidate(key);
      assertThat(a.get(key, s, Integer.class, loads::incrementAndGet)).isGreaterThan(2);
      assertThatThrownBy(() -> a.get("x".repeat(513), s, Integer.class, () -> 1)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> a.invalidateTags("line\nbreak")).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> a.get("k", CacheStrategy.of("bad", Duration.ofMinutes(1), "line\nbreak"), Integer.class,
          () -> 1)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void loaderFailuresReachTheCallerAndAreNotCached() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (QueryCache cache = QueryCache.builder().meterRegistry(registry).build()) {
      assertThatThrownBy(() -> cache.get("k", PROFILE, String.class, () -> {
        throw new java.sql.SQLException("boom");
      })).isInstanceOf(CacheLoadException.class).hasRootCauseMessage("boom");
      assertThat(cache.get("k", PROFILE, String.class, () -> "ok")).isEqualTo("ok");
      assertThat(cache.get("k", PROFILE, String.class, () -> "again")).isEqualTo("ok");
      assertThat(registry.get("pgopt.cache.requests").tag("tier", "l1").tag("result", "hit").functionCounter().count())
          .isEqualTo(1);
      assertThat(registry.get("pgopt.cache.load.failures").functionCounter().count()).isEqualTo(1);
      assertThat(cache.warmUp(List.of(new QueryCache.WarmUp<>("w", PROFILE, ValueType.of(String.class), () -> "warm"))))
          .isEqualTo(1);
      assertThat(cache.get("w", PROFILE, String.class, () -> "cold")).isEqualTo("warm");
    }
  }
}
