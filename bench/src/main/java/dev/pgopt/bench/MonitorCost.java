package dev.pgopt.bench;

import dev.pgopt.connect.Environment;
import dev.pgopt.local.FreePort;
import dev.pgopt.monitor.Monitor;
import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.MonitorConfigLoader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The monitor's cost (docs/benchmarks/monitor.md):
 *
 * <ol>
 *   <li>collection: one activity and one statements/tables snapshot on a database with 10,000 tables and 30,000
 *       indexes, against one scrape of prometheus-postgres-exporter (Debian) on the same database, same run;
 *   <li>overhead: pgbench TPS with and without {@code pgopt serve} watching the database.
 * </ol>
 *
 * Usage: {@code MonitorCost [tables] [pgbench seconds]} (defaults 10000, 60; 0 seconds skips the pgbench part).
 */
public final class MonitorCost {
  private static final String EXPORTER = "/usr/bin/prometheus-postgres-exporter";
  // start-up (schema migration, first snapshots, first advisor run) is not the steady state being measured
  private static final long WARM_UP_MS = 15_000;
  // 60 activity and 12 statements snapshots at the 1 s / 5 s schedule used for the collection figures
  private static final long COLLECTION_WINDOW_MS = 60_000;
  private static final String PGBENCH = "/usr/lib/postgresql/15/bin/pgbench";
  private static final String EXAMPLE_QUERIES = "/usr/share/doc/prometheus-postgres-exporter/examples/queries.yaml";

  public static void main(String[] args) throws Exception {
    int tables = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int pgbenchSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    try (BenchServers servers = BenchServers.start(false)) {
      try (Connection c = servers.connect(); Statement s = c.createStatement()) {
        s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        s.execute("CREATE DATABASE wide");
        s.execute("CREATE DATABASE history");
        s.execute("CREATE DATABASE bench");
      }
      long start = System.nanoTime();
      createWideSchema(servers, tables);
      System.out.printf(Locale.ROOT, "schema: %,d tables, %,d indexes created in %.0f s%n", tables, tables * 3,
          (System.nanoTime() - start) / 1e9);
      collectionCost(servers);
      if (pgbenchSeconds > 0) {
        pgbenchOverhead(servers, pgbenchSeconds);
      }
    }
  }

  private static void createWideSchema(BenchServers servers, int tables) throws Exception {
    try (Connection c = java.sql.DriverManager.getConnection(servers.jdbcUrl().replace("/postgres", "/wide"),
        BenchServers.USER, BenchServers.PASSWORD); Statement s = c.createStatement()) {
      s.execute("CREATE EXTENSION pg_stat_statements");
      for (int from = 0; from < tables; from += 500) {
        int to = Math.min(tables, from + 500);
        s.execute("DO $$ BEGIN FOR i IN " + from + ".." + (to - 1) + " LOOP "
            + "EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, a int, b int)', i); "
            + "EXECUTE format('CREATE INDEX ON t%s (a)', i); EXECUTE format('CREATE INDEX ON t%s (b)', i); "
            + "EXECUTE format('INSERT INTO t%s SELECT g, g, g FROM generate_series(1, 10) g', i); END LOOP; END $$");
      }
      // a workload: 2,000 distinct statements in pg_stat_statements
      for (int i = 0; i < 2000; i++) {
        s.executeQuery("SELECT count(*) FROM t" + (i % tables) + " WHERE a = " + i + (i % 2 == 0 ? "" : " AND b > 0")).close();
      }
      s.execute("ANALYZE");
    }
  }

  /**
   * The monitor's own {@code pgopt_collection_duration_seconds} summary, read from {@code /metrics} twice: the mean
   * per snapshot between the reads (the first snapshots, which warm caches, are before the first read) and the max.
   */
  private static void collectionCost(BenchServers servers) throws Exception {
    String yaml = """
        server: {port: 0}
        store: {url: "%s"}
        targets: [{name: wide, url: "%s"}]
        collect: {activity_interval: 1s, statements_interval: 5s}
        """.formatted(servers.url("history"), servers.url("wide"));
    MonitorConfig config = MonitorConfigLoader.parse(yaml, "bench", env(), Optional.empty());
    String body;
    double activityMs;
    double statementsMs;
    try (Monitor m = Monitor.start(config, env(), Clock.systemUTC(), "bench")) {
      HttpClient http = HttpClient.newHttpClient();
      URI metrics = URI.create(m.baseUrl() + "/metrics");
      Thread.sleep(12_000);
      String before = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
      Thread.sleep(COLLECTION_WINDOW_MS);
      body = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
      activityMs = report("pgopt activity snapshot", before, body, "activity");
      statementsMs = report("pgopt statements+tables+indexes snapshot", before, body, "statements");
    }
    System.out.printf(Locale.ROOT, "pgopt /metrics: %,d series, %,d bytes (bounded: no per-table or per-query labels by default)%n",
        series(body), body.length());

    double ours = activityMs + statementsMs;
    exporter(servers, ours, "postgres_exporter (built-in metrics)");
    if (java.nio.file.Files.exists(Path.of(EXAMPLE_QUERIES))) {
      exporter(servers, ours, "postgres_exporter (+ the packaged example queries.yaml: per-table and per-statement)",
          "--extend.query-path=" + EXAMPLE_QUERIES);
    }
  }

  private static double report(String label, String before, String after, String collector) {
    String labels = "{collector=\"" + collector + "\",target=\"wide\"}";
    double count = sample(after, "pgopt_collection_duration_seconds_count" + labels)
        - sample(before, "pgopt_collection_duration_seconds_count" + labels);
    double sum = sample(after, "pgopt_collection_duration_seconds_sum" + labels)
        - sample(before, "pgopt_collection_duration_seconds_sum" + labels);
    if (count <= 0) {
      throw new IllegalStateException("no " + collector + " snapshot between the two reads of /metrics");
    }
    double mean = 1000 * sum / count;
    System.out.printf(Locale.ROOT, "%s: mean %.1f ms over %.0f snapshots, max %.1f ms%n", label, mean, count,
        1000 * sample(after, "pgopt_collection_duration_seconds_max" + labels));
    return mean;
  }

  private static double sample(String body, String series) {
    return body.lines().filter(l -> l.startsWith(series + " ")).findFirst()
        .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
        .orElseThrow(() -> new IllegalStateException("no series " + series + " in /metrics"));
  }

  private static void exporter(BenchServers servers, double oursMs, String label, String... extra) throws Exception {
    int port = FreePort.find();
    List<String> cmd = new ArrayList<>(List.of(EXPORTER, "--web.listen-address=127.0.0.1:" + port));
    cmd.addAll(List.of(extra));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("DATA_SOURCE_NAME", "postgresql://" + BenchServers.USER + ":" + BenchServers.PASSWORD
        + "@127.0.0.1:" + servers.port() + "/wide?sslmode=disable");
    Process exporter = pb.start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      String body = waitForScrape(http, "http://127.0.0.1:" + port + "/metrics");
      int runs = 15;
      double[] scrape = new double[runs];
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        scrape[i] = (System.nanoTime() - t0) / 1e6;
      }
      System.out.printf(Locale.ROOT, "%s scrape: median %.1f ms, p95 %.1f ms, %,d series, %,d bytes; "
          + "scrape / pgopt (activity + statements snapshots) = %.2f×%n", label, median(scrape), p95(scrape), series(body),
          body.length(), median(scrape) / oursMs);
    } finally {
      exporter.destroy();
      exporter.waitFor();
    }
  }

  private static void pgbenchOverhead(BenchServers servers, int seconds) throws Exception {
    run(PGBENCH, "-i", "-q", "-s", "20", "-h", "127.0.0.1", "-p", Integer.toString(servers.port()), "-U", BenchServers.USER, "bench");
    String yaml = """
        server: {port: 0}
        store: {url: "%s"}
        targets: [{name: bench, url: "%s"}]
        """.formatted(servers.url("history"), servers.url("bench"));
    MonitorConfig defaults = MonitorConfigLoader.parse(yaml, "bench", env(), Optional.empty());
    MonitorConfig aggressive = MonitorConfigLoader.parse(yaml + "collect: {activity_interval: 1s, statements_interval: 10s}\n",
        "bench", env(), Optional.empty());
    // three rounds in alternating order, each run after a CHECKPOINT and pgbench's own vacuum, so that checkpoints,
    // table growth and run order do not masquerade as monitor overhead; the median of the rounds is reported
    int rounds = 3;
    double[][] tps = new double[3][rounds];
    String[] names = {"without", "with pgopt serve (15 s / 5 min)", "with pgopt serve (1 s / 10 s)"};
    MonitorConfig[] configs = {null, defaults, aggressive};
    for (int round = 0; round < rounds; round++) {
      int[] order = round % 2 == 0 ? new int[] {0, 1, 2} : new int[] {2, 1, 0};
      for (int which : order) {
        if (configs[which] == null) {
          tps[which][round] = pgbench(servers, seconds);
        } else {
          try (Monitor m = Monitor.start(configs[which], env(), Clock.systemUTC(), "bench")) {
            Thread.sleep(WARM_UP_MS);
            tps[which][round] = pgbench(servers, seconds);
          }
        }
      }
      System.out.printf(Locale.ROOT, "round %d: %s %.0f TPS, %s %.0f TPS, %s %.0f TPS%n", round + 1, names[0], tps[0][round],
          names[1], tps[1][round], names[2], tps[2][round]);
    }
    double base = median(tps[0]);
    System.out.printf(Locale.ROOT, "pgbench overhead (median of %d rounds, %d s each, 8 clients, 2 cores shared with the monitor): "
        + "default schedule %.2f%%, 1 s schedule %.2f%%%n", rounds, seconds, 100 * (1 - median(tps[1]) / base),
        100 * (1 - median(tps[2]) / base));
  }

  private static double pgbench(BenchServers servers, int seconds) throws Exception {
    try (Connection c = servers.connect(); Statement s = c.createStatement()) {
      s.execute("CHECKPOINT");
    }
    String out = run(PGBENCH, "-c", "8", "-j", "2", "-T", Integer.toString(seconds), "-M", "prepared",
        "-h", "127.0.0.1", "-p", Integer.toString(servers.port()), "-U", BenchServers.USER, "bench");
    Matcher m = Pattern.compile("tps = ([0-9.]+)").matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no tps in pgbench output: " + out);
    }
    return Double.parseDouble(m.group(1));
  }

  private static String run(String... cmd) throws IOException, InterruptedException {
    return BenchServers.runTool(null, cmd);
  }

  private static String waitForScrape(HttpClient http, String url) throws Exception {
    for (int i = 0; i < 100; i++) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().contains("pg_up 1")) {
          return r.body();
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("postgres_exporter did not come up with pg_up 1 at " + url);
  }

  private static long series(String body) {
    return body.lines().filter(l -> !l.isEmpty() && !l.startsWith("#")).count();
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static double p95(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[Math.min(s.length - 1, (int) Math.ceil(s.length * 0.95) - 1)];
  }

  private static Environment env() {
    return Environment.of(Map.of(), Path.of(System.getProperty("java.io.tmpdir")), "bench");
  }
}
