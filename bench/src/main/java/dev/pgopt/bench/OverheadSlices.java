package dev.pgopt.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.pgopt.client.PgoptDataSource;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * PgoptDataSource against raw HikariCP on one server, in interleaved one-second slices on the same persistent threads:
 * each round runs one slice per mode, in rotating order, so machine noise (other processes, CPU frequency, the
 * server's own background work) falls on every mode alike. Reports, per mode, the median throughput over rounds, the
 * median of the per-round ratio to raw HikariCP, and the client's CPU time per operation: the worker threads' own CPU
 * time in the slice divided by the operations in it (without the JIT, the GC and PostgreSQL, which runs in other
 * processes on the same cores).
 *
 * <p>{@code java -cp pgopt-bench.jar dev.pgopt.bench.OverheadSlices [rounds] [threads] [reads|writes]} (defaults 30, 4,
 * reads). Writes: one-row UPDATE transactions, raw HikariCP (autocommit off, commit) against {@code ds.tx}, which also
 * returns the commit's WAL position.
 */
public final class OverheadSlices {
  private static final String SQL = "SELECT owner, balance FROM accounts WHERE id = ?";
  private static final long SLICE_NANOS = 1_000_000_000L;

  private interface Operation {
    void run() throws SQLException;
  }

  private record Mode(String name, Operation op) {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    boolean writes = args.length > 2 && args[2].equals("writes");
    try (BenchServers servers = BenchServers.start(false)) {
      try (HikariDataSource hikari = new HikariDataSource(servers.hikariConfig(10));
          PgoptDataSource pgopt = PgoptDataSource.builder().primary(servers.url()).poolSize(10, 10).build()) {
        DataSource reader = pgopt.reader();
        List<Mode> modes = writes ? List.of(
            new Mode("raw HikariCP transaction", () -> {
              try (Connection c = hikari.getConnection()) {
                c.setAutoCommit(false);
                update(c);
                c.commit();
              }
            }),
            new Mode("ds.tx(label, ...) with its token", () -> pgopt.tx("accounts.touch", OverheadSlices::update)))
            : List.of(
            new Mode("raw HikariCP", () -> select(hikari)),
            new Mode("ds.getConnection()", () -> select(pgopt)),
            new Mode("ds.reader()", () -> select(reader)),
            new Mode("ds.read(label, ...)", () -> pgopt.read("accounts.by_id", OverheadSlices::selectOn)));
        run(modes, rounds, threads);
      }
    }
  }

  private static void run(List<Mode> modes, int rounds, int threads) throws Exception {
    int m = modes.size();
    AtomicLong current = new AtomicLong(-1); // slice index; -1 warms up with mode 0
    int slices = rounds * m;
    LongAdder[] ops = new LongAdder[slices];
    for (int i = 0; i < slices; i++) {
      ops[i] = new LongAdder();
    }
    int[] modeOfSlice = new int[slices];
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < m; k++) {
        modeOfSlice[r * m + k] = (k + r) % m; // rotate the order so no mode always follows another
      }
    }
    List<Thread> workers = new ArrayList<>();
    AtomicLong errors = new AtomicLong();
    LongAdder[] cpu = new LongAdder[slices];
    for (int i = 0; i < slices; i++) {
      cpu[i] = new LongAdder();
    }
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        long seen = Long.MIN_VALUE;
        long cpuAt = mx.getCurrentThreadCpuTime();
        while (true) {
          long s = current.get();
          if (s != seen) {
            long now = mx.getCurrentThreadCpuTime();
            if (seen >= 0 && seen < slices) {
              cpu[(int) seen].add(now - cpuAt);
            }
            seen = s;
            cpuAt = now;
          }
          if (s >= slices) {
            return;
          }
          int mode = s < 0 ? (int) ((-s - 1) % m) : modeOfSlice[(int) s];
          try {
            modes.get(mode).op().run();
            if (s >= 0 && current.get() == s) {
              ops[(int) s].increment();
            }
          } catch (SQLException e) {
            errors.incrementAndGet();
          }
        }
      }, "overhead-" + t);
      w.start();
      workers.add(w);
    }
    // warm-up: 5 s per mode, so every path is compiled before measuring
    for (int k = 0; k < m; k++) {
      current.set(-1 - k);
      Thread.sleep(5000);
    }
    long[] wall = new long[slices];
    for (int s = 0; s < slices; s++) {
      long t0 = System.nanoTime();
      current.set(s);
      while (System.nanoTime() - t0 < SLICE_NANOS) {
        Thread.sleep(5);
      }
      current.set(-1 - modeOfSlice[s]); // between slices, keep the threads busy without counting
      wall[s] = System.nanoTime() - t0;
    }
    current.set(slices);
    for (Thread w : workers) {
      w.join();
    }
    report(modes, rounds, threads, ops, modeOfSlice, cpu, wall, errors.get());
  }

  private static void report(List<Mode> modes, int rounds, int threads, LongAdder[] ops, int[] modeOfSlice,
      LongAdder[] cpu, long[] wall, long errors) {
    int m = modes.size();
    double[][] rate = new double[m][rounds];
    double[][] cpuPerOp = new double[m][rounds];
    for (int s = 0; s < ops.length; s++) {
      int r = s / m;
      int mode = modeOfSlice[s];
      long n = ops[s].sum();
      rate[mode][r] = n * 1e9 / wall[s];
      cpuPerOp[mode][r] = n == 0 ? 0 : cpu[s].sum() / 1000.0 / n;
    }
    System.out.printf("%d rounds of %d one-second slices, %d threads, %d errors%n%n", rounds, m, threads, errors);
    System.out.println("| mode | ops/s (median) | ops/s (p10-p90) | ratio to raw (median of rounds) | ratio p10-p90"
        + " | client CPU µs/op (median) |");
    System.out.println("|---|---:|---:|---:|---:|---:|");
    for (int k = 0; k < m; k++) {
      double[] ratio = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        ratio[r] = rate[k][r] / rate[0][r];
      }
      System.out.printf("| %s | %,.0f | %,.0f-%,.0f | %.3f | %.3f-%.3f | %.1f |%n", modes.get(k).name(),
          pct(rate[k], 50), pct(rate[k], 10), pct(rate[k], 90), pct(ratio, 50), pct(ratio, 10), pct(ratio, 90),
          pct(cpuPerOp[k], 50));
    }
  }

  private static double pct(double[] values, int p) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v[Math.min(v.length - 1, (int) Math.round(p / 100.0 * (v.length - 1)))];
  }

  private static int update(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE accounts SET balance = balance + 1 WHERE id = ?")) {
      ps.setLong(1, ThreadLocalRandom.current().nextLong(1, BenchServers.ROWS + 1));
      return ps.executeUpdate();
    }
  }

  private static void select(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection()) {
      selectOn(c);
    }
  }

  private static String selectOn(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SQL)) {
      ps.setLong(1, ThreadLocalRandom.current().nextLong(1, BenchServers.ROWS + 1));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }
}
