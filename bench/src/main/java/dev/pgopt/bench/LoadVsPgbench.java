package dev.pgopt.bench;

import dev.pgopt.load.LoadOptions;
import dev.pgopt.load.LoadResult;
import dev.pgopt.load.LoadRun;
import dev.pgopt.load.WorkloadMix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code pgopt bench}'s client against pgbench on the same select-only workload ({@code pgbench -S}), same server,
 * same clients, prepared statements, in one run (docs/benchmarks/bench.md):
 *
 * <ol>
 *   <li>throughput: pgbench closed loop against pgopt bench at a rate far above what the server takes (its workers
 *       then never wait, which is a closed loop), and a plain pgjdbc loop (the Java client's ceiling);
 *   <li>latency at a fixed rate: pgbench {@code -R} (time from each transaction's scheduled start, from its
 *       per-transaction log) against pgopt bench at the same rate, both with Poisson arrivals (from when each request
 *       was due).
 * </ol>
 *
 * Usage: {@code LoadVsPgbench [scale] [seconds] [rate] [clients] [rounds]} (defaults 10, 30, 2000, 8, 3).
 */
public final class LoadVsPgbench {
  private static final String PGBENCH = "/usr/lib/postgresql/15/bin/pgbench";

  public static void main(String[] args) throws Exception {
    int scale = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    int rate = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
    int clients = args.length > 3 ? Integer.parseInt(args[3]) : 8;
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
    try (BenchServers servers = BenchServers.start(false)) {
      try (Connection c = servers.connect(); Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE pgb");
      }
      run(servers, PGBENCH, "-i", "-q", "-s", Integer.toString(scale), "pgb");
      try (Connection c = connect(servers); Statement s = c.createStatement()) {
        s.execute("CREATE EXTENSION pg_stat_statements");
        s.execute("SELECT pg_stat_statements_reset()");
      }
      // the workload pgopt bench replays: pgbench -S's own statement, recorded by pg_stat_statements
      run(servers, PGBENCH, "-S", "-M", "prepared", "-T", "5", "-c", Integer.toString(clients), "-j", "2", "pgb");
      WorkloadMix mix;
      try (Connection c = connect(servers)) {
        mix = WorkloadMix.fromStatistics(c, 150000, 5);
      }
      System.out.println("replayed: " + mix.statements().stream().map(WorkloadMix.Statement::query).toList());
      LoadRun load = new LoadRun(() -> connect(servers), LoadRun.Progress.NONE);
      Duration warm = Duration.ofSeconds(3);
      for (int round = 1; round <= rounds; round++) {
        double pgbenchTps = tps(run(servers, PGBENCH, "-S", "-M", "prepared", "-T", Integer.toString(seconds), "-c",
            Integer.toString(clients), "-j", "2", "pgb"));
        // no warm-up inside the saturated run: its backlog would never be worked off and nothing measured would be
        // reached; a separate short run warms the JIT instead
        load.run(mix, new LoadOptions(200_000, warm, Duration.ZERO, clients, Duration.ZERO, round, LoadOptions.Arrivals.UNIFORM));
        LoadResult saturated = load.run(mix, new LoadOptions(200_000, Duration.ofSeconds(seconds), Duration.ZERO, clients,
            Duration.ZERO, round, LoadOptions.Arrivals.UNIFORM));
        double ours = saturated.completed() / saturated.durationSeconds();
        double raw = rawJdbc(servers, clients, seconds, scale);
        System.out.printf(Locale.ROOT, "round %d throughput: pgbench %.0f TPS, pgopt bench %.0f/s (%.2f×), plain pgjdbc"
            + " loop %.0f/s (%.2f×)%n", round, pgbenchTps, ours, ours / pgbenchTps, raw, raw / pgbenchTps);

        double[] pg = pgbenchAtRate(servers, rate, seconds, clients);
        LoadResult at = load.run(mix, new LoadOptions(rate, Duration.ofSeconds(seconds), warm, clients,
            Duration.ofSeconds(30), round));
        System.out.printf(Locale.ROOT, "round %d at %d/s: pgbench p50 %.3f ms p99 %.3f ms (%,d tx); pgopt bench p50 %.3f ms"
                + " p99 %.3f ms (%,d, achieved %.0f/s); p50 ratio %.2f, p99 ratio %.2f%n", round, rate, pg[0], pg[1],
            (long) pg[2], at.latency().p50(), at.latency().p99(), at.completed(), at.achievedRate(),
            at.latency().p50() / pg[0], at.latency().p99() / pg[1]);
      }
    }
  }

  /**
   * The Java client's ceiling: {@code clients} threads, each a prepared {@code pgbench -S} select in a closed loop on
   * its own pgjdbc connection, nothing else.
   */
  private static double rawJdbc(BenchServers servers, int clients, int seconds, int scale) throws Exception {
    java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      int seed = i;
      Thread t = new Thread(() -> {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        try (Connection c = connect(servers);
            java.sql.PreparedStatement ps = c.prepareStatement("SELECT abalance FROM pgbench_accounts WHERE aid = ?")) {
          while (System.nanoTime() < end) {
            ps.setInt(1, 1 + random.nextInt(100_000 * scale));
            try (java.sql.ResultSet rs = ps.executeQuery()) {
              rs.next();
            }
            done.incrementAndGet();
          }
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    return done.get() / (double) seconds;
  }

  /**
   * pgbench -R: {p50, p99, transactions} in ms of each transaction's time from its scheduled start (pgbench computes
   * it from the schedule when throttling, so it includes the schedule lag), from its per-transaction log.
   */
  private static double[] pgbenchAtRate(BenchServers servers, int rate, int seconds, int clients) throws Exception {
    Path dir = Files.createTempDirectory("pgbench-log");
    run(dir, servers, PGBENCH, "-S", "-M", "prepared", "-R", Integer.toString(rate), "-T", Integer.toString(seconds), "-c",
        Integer.toString(clients), "-j", "2", "-l", "--log-prefix=" + dir.resolve("tx"), "pgb");
    List<Double> ms = new ArrayList<>();
    long lagAboveTime = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        for (String line : Files.readAllLines(f)) {
          // client_id transaction_no time script_no time_epoch time_us schedule_lag
          String[] p = line.trim().split("\\s+");
          if (p.length >= 7) {
            ms.add(Long.parseLong(p[2]) / 1000.0);
            if (Long.parseLong(p[6]) > Long.parseLong(p[2])) {
              lagAboveTime++;
            }
          }
        }
      }
    }
    if (lagAboveTime > 0) {
      System.out.println("note: " + lagAboveTime + " pgbench log lines have schedule_lag > time: time does not include the lag");
    }
    double[] v = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return new double[] {v[(int) (v.length * 0.50)], v[Math.min(v.length - 1, (int) (v.length * 0.99))], v.length};
  }

  private static Connection connect(BenchServers servers) throws SQLException {
    return DriverManager.getConnection(servers.jdbcUrl().replace("/postgres", "/pgb"), BenchServers.USER, BenchServers.PASSWORD);
  }

  private static double tps(String out) {
    Matcher m = Pattern.compile("tps = ([0-9.]+)").matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no tps in pgbench output: " + out);
    }
    return Double.parseDouble(m.group(1));
  }

  private static String run(BenchServers servers, String... cmd) throws IOException, InterruptedException {
    return run(null, servers, cmd);
  }

  private static String run(Path dir, BenchServers servers, String... cmd) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>(Arrays.asList(cmd));
    full.addAll(full.size() - 1, List.of("-h", "127.0.0.1", "-p", Integer.toString(servers.port()), "-U", BenchServers.USER));
    return BenchServers.runTool(dir, full.toArray(String[]::new));
  }
}
