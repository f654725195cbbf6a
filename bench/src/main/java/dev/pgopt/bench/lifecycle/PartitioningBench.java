package dev.pgopt.bench.lifecycle;

import dev.pgopt.bench.BenchServers;
import dev.pgopt.lifecycle.PartitionArchive;
import dev.pgopt.lifecycle.PartitionMigration;
import dev.pgopt.lifecycle.MigrationPlan;
import dev.pgopt.lifecycle.Retention;
import dev.pgopt.sample.SampleDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;

/**
 * The sample dataset's analytics_events, partitioned online by pgopt (docs/benchmarks/partitioning.md): migration
 * throughput and a writer's latency during it against the same writer without it; a time-range query and a
 * retention delete before and after. Starts its own PostgreSQL.
 *
 * <p>Usage: {@code PartitioningBench [scale] [writerSeconds]} (defaults 10 and 20).
 */
public final class PartitioningBench {
  private PartitioningBench() {}

  public static void main(String[] args) throws Exception {
    double scale = args.length > 0 ? Double.parseDouble(args[0]) : 10;
    int writerSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    try (BenchServers servers = BenchServers.start(false); Connection c = servers.connect()) {
      long t0 = System.nanoTime();
      SampleDataset.load(c, new SampleDataset.Options(scale, 42, false), Clock.systemUTC(), SampleDataset.Progress.NONE);
      try (Statement s = c.createStatement()) {
        s.execute("VACUUM ANALYZE analytics_events");
      }
      long rows = one(c, "SELECT count(*) FROM analytics_events");
      System.out.printf("sample scale %.0f loaded in %.0f s: analytics_events %,d rows, %s%n", scale, secs(t0), rows,
          text(c, "SELECT pg_size_pretty(pg_total_relation_size('analytics_events'))"));
      String range = "SELECT count(*), count(DISTINCT user_id) FROM analytics_events WHERE created_at >= now() - interval '7 days'";
      String oldest = text(c, "SELECT date_trunc('month', min(created_at))::text FROM analytics_events");
      String retention = "DELETE FROM analytics_events WHERE created_at < date_trunc('month', '" + oldest + "'::timestamptz) + interval '1 month'";
      double[] before = query(c, range);
      double[] deleteBefore = rolledBack(c, retention);
      System.out.printf("before: 7-day range query cost %.0f, median %.1f ms; retention DELETE of the oldest month %,.0f rows in %.0f ms%n",
          before[0], before[1], deleteBefore[1], deleteBefore[0]);

      Histogram idle = writer(servers, writerSeconds, null);
      System.out.println("writer alone:          " + summary(idle));
      AtomicBoolean migrating = new AtomicBoolean(true);
      long[] migration = new long[3];
      Thread job = new Thread(() -> {
        try (Connection m = servers.connect()) {
          PartitionMigration mig = new PartitionMigration(Duration.ofMillis(500), 20);
          MigrationPlan plan = PartitionMigration.plan(m, "analytics_events", "created_at", "1 month", 3);
          long s0 = System.nanoTime();
          mig.prepare(m, plan);
          PartitionMigration.Progress p = mig.backfill(m, "public", "analytics_events", 1000, Duration.ofMillis(200), Long.MAX_VALUE);
          migration[0] = p.rowsCopied();
          migration[1] = (System.nanoTime() - s0) / 1_000_000;
          PartitionArchive.Checksum[] same = mig.verify(m, "public", "analytics_events");
          migration[2] = mig.swap(m, "public", "analytics_events");
          mig.finish(m, "public", "analytics_events");
          System.out.printf("migration: %,d rows copied in %.1f s (%,.0f rows/s), %,d rows compared, swap lock %d ms%n",
              migration[0], migration[1] / 1000.0, migration[0] * 1000.0 / migration[1], same[0].rows(), migration[2]);
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        } finally {
          migrating.set(false);
        }
      });
      job.start();
      Histogram during = writer(servers, Integer.MAX_VALUE, migrating);
      job.join();
      System.out.println("writer during migrate: " + summary(during));
      try (Statement s = c.createStatement()) {
        s.execute("VACUUM ANALYZE analytics_events");
      }
      double[] after = query(c, range);
      double[] deleteAfter = rolledBack(c, retention);
      Path archive = Files.createTempDirectory("pgopt-bench-archive-");
      long r0 = System.nanoTime();
      Retention.Plan plan = Retention.plan(c, "analytics_events", text(c, "SELECT (now() - (date_trunc('month', '" + oldest
          + "'::timestamptz) + interval '1 month'))::text"));
      new Retention(Clock.systemUTC()).run(c, plan, new Retention.Options(archive, false, Duration.ofSeconds(5), 5,
          Retention.Options.fileStoreSpace()));
      double retained = secs(r0) * 1000;
      System.out.printf("after: 7-day range query cost %.0f, median %.1f ms; the same DELETE %.0f ms; pgopt retention"
          + " (detach, archive, prove, drop) of %d partition(s) in %.0f ms%n", after[0], after[1], deleteAfter[0],
          plan.old().size(), retained);
    }
  }

  /** One writer: insert a new event and update a recent one, as fast as it can, until the flag drops or time runs out. */
  private static Histogram writer(BenchServers servers, int seconds, AtomicBoolean running) throws SQLException {
    Histogram h = new Histogram(60_000_000_000L, 3);
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    try (Connection w = servers.connect();
         PreparedStatement ins = w.prepareStatement("INSERT INTO analytics_events (user_id, event_type, properties, created_at)"
             + " VALUES (?, 'bench', '{}', now())");
         PreparedStatement upd = w.prepareStatement("UPDATE analytics_events SET properties = '{\"seen\": true}'"
             + " WHERE id = (SELECT max(id) FROM analytics_events) - ?")) {
      ThreadLocalRandom r = ThreadLocalRandom.current();
      while (System.nanoTime() < end && (running == null || running.get())) {
        long t = System.nanoTime();
        ins.setLong(1, 1 + r.nextInt(1000));
        ins.executeUpdate();
        upd.setInt(1, r.nextInt(1000));
        upd.executeUpdate();
        h.recordValue(System.nanoTime() - t);
      }
    }
    return h;
  }

  private static String summary(Histogram h) {
    return String.format("%,d rounds (insert + update), p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.0f ms",
        h.getTotalCount(), h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(95) / 1e6,
        h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6);
  }

  /** Planner cost and the median of 5 runs after one warm-up. */
  private static double[] query(Connection c, String sql) throws SQLException {
    double cost;
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("EXPLAIN (FORMAT JSON) " + sql)) {
      rs.next();
      cost = new com.fasterxml.jackson.databind.ObjectMapper().readTree(rs.getString(1)).get(0).path("Plan").path("Total Cost").asDouble();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    double[] ms = new double[5];
    for (int i = -1; i < 5; i++) {
      long t = System.nanoTime();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
        rs.next();
      }
      if (i >= 0) {
        ms[i] = (System.nanoTime() - t) / 1e6;
      }
    }
    Arrays.sort(ms);
    return new double[] {cost, ms[2]};
  }

  /** A write's time and row count, rolled back so the data stays for the next step. */
  private static double[] rolledBack(Connection c, String sql) throws SQLException {
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      long t = System.nanoTime();
      int n = s.executeUpdate(sql);
      return new double[] {(System.nanoTime() - t) / 1e6, n};
    } finally {
      c.rollback();
      c.setAutoCommit(true);
    }
  }

  private static long one(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String text(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
