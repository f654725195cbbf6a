package dev.pgopt.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.pgopt.client.cache.CacheStrategies;
import dev.pgopt.client.cache.CacheStrategy;
import dev.pgopt.client.cache.QueryCache;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Latency of one lookup served by L1 (Caffeine), by L2 (Redis) and by the database, side by side. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class CacheTierBenchmark {
  public record Account(long id, String owner, String balance) {}

  private static final int KEYS = 1000;
  private static final CacheStrategy STRATEGY = CacheStrategies.USER_PROFILE;

  private BenchServers servers;
  private HikariDataSource db;
  private QueryCache l1;
  private QueryCache l2Only;

  @Setup(Level.Trial)
  public void start() throws Exception {
    servers = BenchServers.start(true);
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(servers.jdbcUrl());
    hc.setUsername(BenchServers.USER);
    hc.setPassword(BenchServers.PASSWORD);
    hc.setMaximumPoolSize(4);
    db = new HikariDataSource(hc);
    l1 = QueryCache.builder().namespace("bench-l1").build();
    l2Only = QueryCache.builder().redis(servers.redisUri()).namespace("bench-l2").l1MaximumSize(0).build();
    for (long id = 1; id <= KEYS; id++) {
      long k = id;
      l1.get("account:" + k, STRATEGY, Account.class, () -> load(k));
      l2Only.get("account:" + k, STRATEGY, Account.class, () -> load(k));
    }
  }

  @TearDown(Level.Trial)
  public void stop() throws Exception {
    l1.close();
    l2Only.close();
    db.close();
    servers.close();
  }

  private Account load(long id) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT owner, balance FROM accounts WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new Account(id, rs.getString(1), rs.getString(2));
      }
    }
  }

  private static long key() {
    return ThreadLocalRandom.current().nextLong(1, KEYS + 1);
  }

  @Benchmark
  public Account l1Hit() {
    long k = key();
    return l1.get("account:" + k, STRATEGY, Account.class, () -> load(k));
  }

  @Benchmark
  public Account l2Hit() {
    long k = key();
    return l2Only.get("account:" + k, STRATEGY, Account.class, () -> load(k));
  }

  @Benchmark
  public Account database() throws SQLException {
    return load(key());
  }
}
