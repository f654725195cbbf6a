package dev.pgopt.client.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.client.Committed;
import dev.pgopt.client.PgoptDataSource;
import dev.pgopt.local.LocalRedis;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two application nodes, each with its own data source (primary and a streaming replica) and its own cache over one
 * Redis, run update / invalidate / get rounds concurrently with the documented loader pattern ({@code cache.get(key,
 * () -> ds.read(...))}, so loads go to the replica). The promise checked: a read that starts after a node has heard an
 * invalidation never returns a value older than the write behind it. The writing node hears its own invalidation when
 * {@code invalidateTags} returns; the other node within {@link #HEARD} (pub/sub or NOTIFY delivery), which is the bound.
 */
@ExtendWith(PostgresExtension.class)
class CacheConsistencyTest {
  private static final Duration HEARD = Duration.ofSeconds(1);
  private static final int KEYS = 6;
  private static final int ROUNDS = 1500;
  private static final CacheStrategy ITEM = CacheStrategy.of("item", Duration.ofMinutes(5));

  /**
   * Per key: when the invalidation of each round completed (nanoTime) → the value written; one map per writing node
   * for explicit invalidations, a third for NOTIFY-driven ones, which no node hears at once.
   */
  private final List<List<ConcurrentSkipListMap<Long, Long>>> written = new ArrayList<>();
  private final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
  private final AtomicLong reads = new AtomicLong();

  @Test
  void explicitInvalidationAfterEachWriteIsNeverOutlivedByAStaleValue(TestCluster primary, TestDatabase db,
      LocalRedis redis) throws Exception {
    prepare(db, "item_a");
    try (TestCluster replica = primary.startReplica()) {
      run(primary, db, replica, redis, "item_a", false);
    }
  }

  @Test
  void databaseDrivenInvalidationIsNeverOutlivedByAStaleValue(TestCluster primary, TestDatabase db, LocalRedis redis)
      throws Exception {
    prepare(db, "item_b");
    try (Connection c = db.connect()) {
      DatabaseInvalidation.installTrigger(c, "item_b", "item_b", "id");
    }
    try (TestCluster replica = primary.startReplica()) {
      run(primary, db, replica, redis, "item_b", true);
    }
  }

  private void prepare(TestDatabase db, String table) {
    db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, v bigint NOT NULL)",
        "INSERT INTO " + table + " SELECT g, 0 FROM generate_series(0, " + (KEYS - 1) + ") g",
        "CREATE TABLE IF NOT EXISTS filler (payload text)",
        // durable commits, as in production: WAL reaches the replica at commit
        "ALTER DATABASE " + db.name() + " SET synchronous_commit = on");
    for (int k = 0; k < KEYS; k++) {
      written.add(List.of(new ConcurrentSkipListMap<>(), new ConcurrentSkipListMap<>(), new ConcurrentSkipListMap<>()));
    }
  }

  private void run(TestCluster primary, TestDatabase db, TestCluster replica, LocalRedis redis, String table,
      boolean fromDatabase) throws Exception {
    PgoptDataSource[] ds = new PgoptDataSource[2];
    QueryCache[] cache = new QueryCache[2];
    org.postgresql.ds.PGSimpleDataSource listen = new org.postgresql.ds.PGSimpleDataSource();
    listen.setUrl(db.jdbcUrl());
    listen.setUser(primary.superuser());
    listen.setPassword(primary.password());
    try {
      for (int n = 0; n < 2; n++) {
        ds[n] = PgoptDataSource.builder().primary(db.url()).replica("r", replica.url(db.name()))
            .healthCheckInterval(Duration.ofMillis(50)).poolSize(4, 4).build();
        QueryCache.Builder b = QueryCache.builder().redis(redis.uri()).namespace(table);
        if (fromDatabase) {
          b.invalidateFromDatabase(listen);
        }
        cache[n] = b.build();
      }
      if (fromDatabase) {
        try (Connection watch = db.connect()) {
          Probe.waitUntil(() -> Probe.exists(watch, "SELECT 1 WHERE (SELECT count(*) FROM pg_stat_activity"
              + " WHERE datname = current_database() AND query LIKE 'LISTEN %') = 2"));
        }
      }
      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService pool = Executors.newFixedThreadPool(6);
      List<Future<?>> background = new ArrayList<>();
      // A steady stream of other writes keeps the replica replaying, so it is often a little behind a fresh commit.
      background.add(pool.submit(() -> {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
          while (running.get()) {
            s.executeUpdate("INSERT INTO filler SELECT repeat('x', 200) FROM generate_series(1, 500)");
          }
        }
        return null;
      }));
      for (int n = 0; n < 2; n++) {
        for (int t = 0; t < 2; t++) {
          int node = n;
          background.add(pool.submit(() -> {
            while (running.get()) {
              readOnce(cache[node], ds[node], node, table);
            }
            return null;
          }));
        }
      }
      try {
        for (long round = 1; round <= ROUNDS; round++) {
          // the writer waits (a little) while the readers are behind one read per two writes: the reads overlap the
          // writes however slowly the loaded machine runs the readers
          long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
          while (reads.get() < round / 2 && System.nanoTime() < until) {
            Thread.sleep(1);
          }
          int key = (int) (round % KEYS);
          int node = (int) (round / KEYS % 2);
          long value = round;
          Committed<Integer> done = ds[node].tx("item.update", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET v = ? WHERE id = ?")) {
              ps.setLong(1, value);
              ps.setInt(2, key);
              return ps.executeUpdate();
            }
          });
          if (!fromDatabase) {
            // half the rounds say where the write is; the others leave it unknown (loads then go to the primary)
            cache[node].invalidateTags(round % 2 == 0 ? done.token() : null, table + ":" + key);
          }
          written.get(key).get(fromDatabase ? 2 : node).put(System.nanoTime(), value);
        }
      } finally {
        running.set(false);
        for (Future<?> f : background) {
          f.get();
        }
        pool.shutdown();
      }
      // enough reads overlapped the writes to have met a stale value if one was served (the pacing above keeps them at
      // one per two rounds or more; 144 for 1,500 rounds in one CI run before it, on the loaded 2-core machine)
      assertThat(reads.get()).as("reads done").isGreaterThanOrEqualTo(ROUNDS / 2 - 1);
      assertThat(violations).as(violations.size() + " stale reads in " + reads.get()).isEmpty();
    } finally {
      for (int n = 0; n < 2; n++) {
        if (cache[n] != null) {
          cache[n].close();
        }
        if (ds[n] != null) {
          ds[n].close();
        }
      }
    }
  }

  private void readOnce(QueryCache cache, PgoptDataSource ds, int node, String table) throws Exception {
    int key = ThreadLocalRandom.current().nextInt(KEYS);
    long start = System.nanoTime();
    long heardAt = start - HEARD.toNanos();
    long required = Math.max(floor(written.get(key).get(node), start),
        Math.max(floor(written.get(key).get(1 - node), heardAt), floor(written.get(key).get(2), heardAt)));
    long got = cache.get(table + ":" + key, ITEM.withTags(table + ":" + key), Long.class, () -> ds.read("item.load", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT v FROM " + table + " WHERE id = ?")) {
        ps.setInt(1, key);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    }));
    reads.incrementAndGet();
    if (got < required && violations.size() < 1000) {
      violations.add("node " + node + " key " + key + ": got " + got + ", must be at least " + required);
    }
  }

  private static long floor(ConcurrentSkipListMap<Long, Long> byTime, long at) {
    Map.Entry<Long, Long> e = byTime.floorEntry(at);
    return e == null ? 0 : e.getValue();
  }
}
