package dev.pgopt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.local.FreePort;
import dev.pgopt.local.LocalPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The seeds' claim, end to end through the real CLI (docs/benchmarks/bench.md): on the sample dataset, the highest
 * rate {@code pgopt bench --find-max} finds with p95 ≤ 100 ms, before and after {@code pgopt apply --safe --execute},
 * through plain pgjdbc sessions (with pgjdbc's prepareThreshold and without server-side statements) and through
 * pgopt-client ({@code PgoptDataSource}) without a cache (also with custom plans forced), with the in-process
 * cache, with Redis behind it, and with a streaming replica taking the reads.
 *
 * <p>Usage: {@code SeedsClaim CLI_JAR [seconds per step] [clients]} (defaults 8, 4). Starts its own primary, replica and
 * Redis; about 20 minutes.
 */
public final class SeedsClaim {
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Mode(String name, List<String> args) {}

  public static void main(String[] args) throws Exception {
    String jar = args[0];
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int clients = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    try (BenchServers servers = BenchServers.start(true)) {
      String url = servers.url("postgres");
      try (java.sql.Connection c = servers.connect(); java.sql.Statement st = c.createStatement()) {
        st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        st.execute("CREATE EXTENSION IF NOT EXISTS hypopg");
      }
      cli(jar, "sample", "load", "--url", url, "--scale", "1");
      cli(jar, "sample", "workload", "--url", url, "--duration", "15s");
      Path replicaDir = Files.createTempDirectory("pgopt-seeds-replica-");
      dev.pgopt.local.ServiceUser.createPrivateDirectory(replicaDir);
      LocalPostgres replica = LocalPostgres.at(replicaDir.resolve("pg"));
      replica.initializeAsReplicaOf("127.0.0.1", servers.port(), BenchServers.USER, BenchServers.PASSWORD);
      int replicaPort = FreePort.find();
      Map<String, String> settings = LocalPostgres.standardSettings(replicaPort);
      settings.put("max_connections", "200"); // a standby needs at least the primary's
      replica.configure(settings);
      replica.start();
      try {
        String replicaUrl = "postgres://" + BenchServers.USER + ":" + BenchServers.PASSWORD + "@127.0.0.1:" + replicaPort
            + "/postgres";
        String custom = "options=-c%20plan_cache_mode%3Dforce_custom_plan";
        List<Mode> modes = List.of(
            new Mode("plain pgjdbc sessions (prepareThreshold 5, pgjdbc's default)", List.of()),
            new Mode("plain pgjdbc sessions, prepareThreshold 0 (a custom plan every time)", List.of("--prepare-threshold", "0")),
            new Mode("pgopt-client, no cache", List.of("--through-client")),
            new Mode("pgopt-client, no cache, plan_cache_mode=force_custom_plan", List.of("--through-client", "--url",
                url + "?" + custom)),
            new Mode("pgopt-client, in-process cache", List.of("--cache", "memory")),
            new Mode("pgopt-client, Redis cache", List.of("--cache", servers.redisUri())),
            new Mode("pgopt-client, replica + Redis cache", List.of("--replica", replicaUrl, "--cache", servers.redisUri())));
        Map<String, String[]> table = new LinkedHashMap<>();
        for (Mode m : modes) {
          table.put(m.name(), new String[] {findMax(jar, url, m, "1/s", seconds, clients), null});
        }
        long start = System.nanoTime();
        cli(jar, "apply", "--url", url, "--safe", "--execute");
        System.out.printf(Locale.ROOT, "apply --safe --execute: %.0f s%n", (System.nanoTime() - start) / 1e9);
        cli(jar, "sample", "workload", "--url", url, "--duration", "15s");
        for (Mode m : modes) {
          table.get(m.name())[1] = findMax(jar, url, m, "100/s", seconds, clients);
        }
        System.out.println();
        System.out.println("| path | before `apply` | after `apply --safe` |");
        System.out.println("|---|---|---|");
        table.forEach((name, r) -> System.out.println("| " + name + " | " + r[0] + " | " + r[1] + " |"));
      } finally {
        replica.stop();
        try (java.util.stream.Stream<Path> files = Files.walk(replicaDir)) {
          files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      }
    }
  }

  /** The highest rate meeting p95 ≤ 100 ms, with the cache's share of answers when there is one. */
  private static String findMax(String jar, String url, Mode m, String from, int seconds, int clients) throws Exception {
    List<String> own = new ArrayList<>(m.args());
    int u = own.indexOf("--url");
    if (u >= 0) {
      url = own.get(u + 1);
      own.subList(u, u + 2).clear();
    }
    List<String> args = new ArrayList<>(List.of("bench", "--url", url, "--find-max", "--p95", "100ms", "--rate", from,
        "--duration", seconds + "s", "--warmup", "2s", "--clients", Integer.toString(clients), "--format", "json"));
    args.addAll(own);
    String out = cli(jar, args.toArray(String[]::new));
    JsonNode report = JSON.readTree(out.substring(out.indexOf('{')));
    JsonNode best = report.get("max_rate_meeting_objective");
    StringBuilder steps = new StringBuilder();
    for (JsonNode s : report.get("steps")) {
      steps.append(String.format(Locale.ROOT, " %.0f/s:%.1fms%s", s.get("rate").asDouble(),
          s.get("result").get("latency").get("p95").asDouble(), s.get("met").asBoolean() ? "" : "✗"));
    }
    String cache = "";
    JsonNode client = report.get("client");
    if (client != null && client.hasNonNull("cache")) {
      long hits = client.get("l1_hits").asLong() + client.get("l2_hits").asLong();
      long asked = client.get("l1_hits").asLong() + client.get("l1_misses").asLong();
      cache = String.format(Locale.ROOT, " (%.0f %% from the cache)", asked == 0 ? 0 : 100.0 * hits / asked);
    }
    String result = (best == null || best.isNull() ? "none" : String.format(Locale.ROOT, "%,.0f/s", best.asDouble())) + cache;
    System.out.println(m.name() + ": " + result + " — steps" + steps);
    return result;
  }

  private static String cli(String jar, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("java", "-jar", jar));
    cmd.addAll(List.of(args));
    Path err = Files.createTempFile("pgopt-seeds-", ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    int code = p.waitFor();
    String errors = Files.readString(err);
    Files.delete(err);
    // bench --find-max exits 1 when no rate met the objective: a result, not a failure
    if (code != 0 && !(code == 1 && args[0].equals("bench"))) {
      throw new IllegalStateException("pgopt " + String.join(" ", args).replaceAll("//[^@/]*@", "//****@")
          + " exited " + code + ": " + errors.lines().filter(l -> !l.startsWith("  ")).toList());
    }
    return out;
  }
}
