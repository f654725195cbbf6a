package dev.pgopt.bench;

import dev.pgopt.client.Committed;
import dev.pgopt.client.PgoptDataSource;
import dev.pgopt.client.cache.CacheStats;
import dev.pgopt.client.cache.CacheStrategies;
import dev.pgopt.client.cache.CacheStrategy;
import dev.pgopt.client.cache.QueryCache;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A read-heavy mix (90 % reads of skewed keys, 10 % single-row updates that invalidate what they change) from N client
 * threads for a fixed time, once through the query cache (L1 + Redis) and once straight to PostgreSQL, on the same
 * servers. Two read kinds: {@code point} (a primary-key lookup, about 50 µs on a local server) and {@code report} (an
 * aggregate over one balance bucket, a sequential scan of 100,000 rows: the dashboard-style query caches are for).
 * Prints requests per second and latency percentiles. Usage: {@code ReadHeavyLoad [point|report] [seconds] [threads]}.
 */
public final class ReadHeavyLoad {
  public record Account(long id, String owner, String balance) {}

  public record Report(long accounts, String total) {}

  private static final CacheStrategy ACCOUNT = CacheStrategies.USER_PROFILE;
  private static final CacheStrategy REPORT = CacheStrategies.DASHBOARD_METRICS;
  private static final int BUCKETS = 1000;

  public static void main(String[] args) throws Exception {
    boolean report = args.length > 0 && args[0].equals("report");
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    System.out.printf("read-heavy mix (%s reads): %d threads, %d s per run, 90%% reads / 10%% writes, %d accounts,"
        + " %d cores%n", report ? "report" : "point", threads, seconds, BenchServers.ROWS,
        Runtime.getRuntime().availableProcessors());
    try (BenchServers servers = BenchServers.start(true);
        PgoptDataSource ds = PgoptDataSource.builder().primary(servers.url()).poolSize(10, 10).build()) {
      try (QueryCache cache = QueryCache.builder().redis(servers.redisUri()).namespace("load").l1MaximumSize(200_000).build()) {
        run("with cache (L1 Caffeine + L2 Redis)", ds, cache, seconds, threads, report);
        printStats(cache.stats());
      }
      try (QueryCache cache = QueryCache.builder().l1MaximumSize(200_000).build()) {
        run("with cache (L1 Caffeine only)", ds, cache, seconds, threads, report);
        printStats(cache.stats());
      }
      run("without cache (every read a query)", ds, null, seconds, threads, report);
    }
  }

  private static void run(String name, PgoptDataSource ds, QueryCache cache, int seconds, int threads, boolean report)
      throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    AtomicLong errors = new AtomicLong();
    List<long[]> samples = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    int[] counts = new int[threads];
    for (int t = 0; t < threads; t++) {
      long[] mine = new long[4_000_000];
      samples.add(mine);
      int index = t;
      SplittableRandom random = new SplittableRandom(42 + t);
      Thread w = new Thread(() -> {
        int n = 0;
        while (System.nanoTime() < end && n < mine.length) {
          long id = 1 + (long) (BenchServers.ROWS * Math.pow(random.nextDouble(), 3));
          boolean write = random.nextInt(10) == 0;
          long start = System.nanoTime();
          long bucket = Math.floorMod(id, BUCKETS);
          try {
            if (write) {
              Committed<Long> done = update(ds, id);
              long balance = done.value();
              if (cache != null) {
                // The account left the report bucket of its old balance and joined the one of its new balance.
                cache.invalidate(done.token(), "account:" + id);
                cache.invalidateTags(done.token(), "balance:" + Math.floorMod(balance - 1, BUCKETS),
                    "balance:" + Math.floorMod(balance, BUCKETS));
              }
            } else if (report) {
              if (cache != null) {
                cache.get("report:" + bucket, REPORT.withTags("balance:" + bucket), Report.class, () -> report(ds, bucket));
              } else {
                report(ds, bucket);
              }
            } else if (cache != null) {
              cache.get("account:" + id, ACCOUNT, Account.class, () -> read(ds, id));
            } else {
              read(ds, id);
            }
          } catch (Exception e) {
            errors.incrementAndGet();
          }
          mine[n++] = System.nanoTime() - start;
        }
        counts[index] = n;
      });
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join();
    }
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int at = 0;
    for (int t = 0; t < threads; t++) {
      System.arraycopy(samples.get(t), 0, all, at, counts[t]);
      at += counts[t];
    }
    Arrays.sort(all);
    System.out.printf("%s:%n  %,d requests in %d s = %,.0f req/s; p50 %.3f ms, p95 %.3f ms, p99 %.3f ms, max %.1f ms;"
            + " errors %d%n", name, total, seconds, total / (double) seconds, pct(all, 0.50), pct(all, 0.95),
        pct(all, 0.99), all[all.length - 1] / 1e6, errors.get());
  }

  private static void printStats(CacheStats s) {
    System.out.printf("  cache: L1 hit rate %.3f, L2 hit rate %.3f, loads %d, L2 errors %d%n",
        s.l1HitRate(), s.l2HitRate(), s.loads(), s.l2Errors());
  }

  private static double pct(long[] sorted, double p) {
    return sorted[(int) Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))] / 1e6;
  }

  private static Account read(PgoptDataSource ds, long id) throws Exception {
    return ds.read("accounts.by_id", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT owner, balance FROM accounts WHERE id = ?")) {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return new Account(id, rs.getString(1), rs.getString(2));
        }
      }
    });
  }

  /** Accounts whose balance falls in the bucket (balance mod 1000): a scan of the table. */
  private static Report report(PgoptDataSource ds, long bucket) throws Exception {
    return ds.read("accounts.report", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT count(*), sum(balance) FROM accounts WHERE balance % 1000 = ?")) {
        ps.setLong(1, bucket);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return new Report(rs.getLong(1), rs.getString(2));
        }
      }
    });
  }

  /** Adds 1 to the balance; returns the new balance and the commit's position. */
  private static Committed<Long> update(PgoptDataSource ds, long id) throws Exception {
    return ds.tx("accounts.touch", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE accounts SET balance = balance + 1, updated_at = now() WHERE id = ? RETURNING balance")) {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    });
  }
}
