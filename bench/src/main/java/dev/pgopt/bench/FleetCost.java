package dev.pgopt.bench;

import dev.pgopt.connect.Environment;
import dev.pgopt.monitor.Monitor;
import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.MonitorConfigLoader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one target costs a monitor that watches a fleet (docs/benchmarks/monitor.md, "Fleet"): for each fleet size, a
 * {@code pgopt serve} in this JVM discovers that many databases (each with 20 tables and pg_stat_statements) and
 * collects them for a minute at a fast schedule; measured are the heap it holds after GC, its threads, its sessions on
 * the server, the CPU time of the process, and the wall time per snapshot from its own timers. The per-hour figures
 * scale the measured per-snapshot CPU to the default schedule (activity every 15 s, statements every 5 min).
 *
 * <p>Usage: {@code FleetCost [sizes] [seconds]} (defaults {@code 40,120} and 60; the bench server allows 200 sessions).
 */
public final class FleetCost {
  private static final int ACTIVITY_SECONDS = 2;
  private static final int STATEMENTS_SECONDS = 20;

  private FleetCost() {}

  public static void main(String[] args) throws Exception {
    int[] sizes = java.util.Arrays.stream((args.length > 0 ? args[0] : "40,120").split(",")).mapToInt(Integer::parseInt).toArray();
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    int largest = java.util.Arrays.stream(sizes).max().orElseThrow();
    try (BenchServers servers = BenchServers.start(false)) {
      try (Connection c = java.sql.DriverManager.getConnection(servers.jdbcUrl().replace("/postgres", "/template1"),
          BenchServers.USER, BenchServers.PASSWORD); Statement s = c.createStatement()) {
        s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        for (int t = 0; t < 20; t++) {
          s.execute("CREATE TABLE t" + t + " (id int PRIMARY KEY, a int, b text)");
          s.execute("INSERT INTO t" + t + " SELECT g, g % 10, 'x' || g FROM generate_series(1, 1000) g");
        }
        s.execute("ANALYZE");
      }
      long t0 = System.nanoTime();
      try (Connection c = servers.connect(); Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE history TEMPLATE template0");
        for (int i = 0; i < largest; i++) {
          s.execute(String.format("CREATE DATABASE fleet_%03d", i));
        }
      }
      System.out.printf(Locale.ROOT, "%d databases of 20 tables each created in %.0f s; %d s per fleet size at a %d s / %d s"
          + " schedule%n%n", largest, (System.nanoTime() - t0) / 1e9, seconds, ACTIVITY_SECONDS, STATEMENTS_SECONDS);
      System.out.printf(Locale.ROOT, "%8s %14s %10s %14s %16s %16s %22s%n", "targets", "heap/target", "threads",
          "sessions", "activity ms", "statements ms", "CPU s/target-hour*");
      for (int size : sizes) {
        measure(servers, size, seconds);
      }
      System.out.println("\n* at the default schedule (activity every 15 s, statements every 5 min), from the CPU the"
          + " process used per snapshot in the run");
    }
  }

  private static void measure(BenchServers servers, int size, int seconds) throws Exception {
    rename(servers, size);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long heapBefore = heapAfterGc(memory);
    int threadsBefore = Thread.activeCount();
    String yaml = """
        server: {port: 0}
        store: {url: "%s"}
        targets: [{name: f, url: "%s", databases: "fleet_*"}]
        collect: {activity_interval: %ds, statements_interval: %ds, findings_interval: 24h}
        """.formatted(servers.url("history"), servers.url("postgres"), ACTIVITY_SECONDS, STATEMENTS_SECONDS);
    Environment env = Environment.of(Map.of(), Path.of(System.getProperty("java.io.tmpdir")), "bench");
    MonitorConfig config = MonitorConfigLoader.parse(yaml, "bench", env, Optional.empty());
    try (Monitor m = Monitor.start(config, env, Clock.systemUTC(), "bench")) {
      HttpClient http = HttpClient.newHttpClient();
      URI metrics = URI.create(m.baseUrl() + "/metrics");
      // past the first snapshots of every target (connections, first statements baseline) and the first findings run
      Thread.sleep(3L * STATEMENTS_SECONDS * 1000 / 2);
      String before = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
      long cpu0 = os.getProcessCpuTime();
      Thread.sleep(seconds * 1000L);
      long cpu = os.getProcessCpuTime() - cpu0;
      String after = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
      double[] activity = totals(before, after, "activity");
      double[] statements = totals(before, after, "statements");
      long heap = heapAfterGc(memory) - heapBefore;
      int threads = Thread.activeCount() - threadsBefore;
      long sessions;
      try (Connection c = servers.connect(); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgopt-monitor%'")) {
        rs.next();
        sessions = rs.getLong(1);
      }
      // CPU per snapshot, split by the snapshots' wall time, then carried to the default schedule
      double wall = activity[1] + statements[1];
      double cpuActivity = wall == 0 ? 0 : cpu / 1e9 * activity[1] / wall / Math.max(1, activity[0]);
      double cpuStatements = wall == 0 ? 0 : cpu / 1e9 * statements[1] / wall / Math.max(1, statements[0]);
      double perTargetHour = cpuActivity * 240 + cpuStatements * 12;
      System.out.printf(Locale.ROOT, "%8d %11.0f kB %10d %9d (%.1f) %11.1f (%.0f) %11.1f (%.0f) %22.3f%n", size,
          heap / 1024.0 / size, threads, sessions, (double) sessions / size, 1000 * activity[1] / Math.max(1, activity[0]),
          activity[0], 1000 * statements[1] / Math.max(1, statements[0]), statements[0], perTargetHour);
    }
  }

  /** Keeps databases fleet_000 .. fleet_(size-1) named fleet_*, the others renamed out of the pattern. */
  private static void rename(BenchServers servers, int size) throws Exception {
    try (Connection c = servers.connect(); Statement s = c.createStatement()) {
      java.util.List<String> names = new java.util.ArrayList<>();
      try (ResultSet rs = s.executeQuery("SELECT datname FROM pg_database WHERE datname ~ '^(fleet|idle)_[0-9]+$'")) {
        while (rs.next()) {
          names.add(rs.getString(1));
        }
      }
      // the previous run's sessions may still be closing: a database in use cannot be renamed
      s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ~ '^(fleet|idle)_'");
      for (String n : names) {
        int i = Integer.parseInt(n.substring(n.indexOf('_') + 1));
        String want = (i < size ? "fleet_" : "idle_") + String.format("%03d", i);
        if (!want.equals(n)) {
          s.execute("ALTER DATABASE " + n + " RENAME TO " + want);
        }
      }
    }
  }

  /** Count and seconds of the collector's snapshots of every target between two reads of /metrics. */
  private static double[] totals(String before, String after, String collector) {
    return new double[] {sum(after, "count", collector) - sum(before, "count", collector),
        sum(after, "sum", collector) - sum(before, "sum", collector)};
  }

  private static double sum(String body, String kind, String collector) {
    Pattern p = Pattern.compile("^pgopt_collection_duration_seconds_" + kind + "\\{collector=\"" + collector
        + "\",target=\"[^\"]+\"} ([0-9.eE+-]+)$", Pattern.MULTILINE);
    Matcher m = p.matcher(body);
    double total = 0;
    while (m.find()) {
      total += Double.parseDouble(m.group(1));
    }
    return total;
  }

  private static long heapAfterGc(MemoryMXBean memory) throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
