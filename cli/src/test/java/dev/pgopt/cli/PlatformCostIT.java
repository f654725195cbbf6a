package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgopt platform} and {@code pgopt cost} on test-kit databases: one dressed as a Neon compute (its cache view
 * and working-set function) with a local stand-in for the Neon API; one with indexes to drop, priced from a file.
 */
@ExtendWith(PostgresExtension.class)
class PlatformCostIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = "neon-key-" + java.util.UUID.randomUUID();

  @TempDir
  Path home;

  private HttpServer api;
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private final AtomicBoolean branchesFail = new AtomicBoolean();

  @BeforeEach
  void neonApi() throws Exception {
    api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Map<String, String> answers = Map.of(
        "/api/v2/projects/p-1/endpoints", "{\"endpoints\":[{\"id\":\"ep-1\",\"branch_id\":\"br-main\",\"type\":\"read_write\","
            + "\"autoscaling_limit_min_cu\":0.25,\"autoscaling_limit_max_cu\":1,\"suspend_timeout_seconds\":0,"
            + "\"last_active\":\"" + now + "\",\"current_state\":\"active\"}]}",
        "/api/v2/projects/p-1/branches", "{\"branches\":[{\"id\":\"br-main\",\"name\":\"main\",\"created_at\":\""
            + now.minus(400, ChronoUnit.DAYS) + "\",\"updated_at\":\"" + now + "\",\"logical_size\":1073741824,\"default\":true},"
            + "{\"id\":\"br-old-test\",\"name\":\"preview/pr-12\",\"parent_id\":\"br-main\",\"created_at\":\""
            + now.minus(90, ChronoUnit.DAYS) + "\",\"updated_at\":\"" + now.minus(80, ChronoUnit.DAYS)
            + "\",\"logical_size\":524288000,\"default\":false}],\"pagination\":{}}",
        "/api/v2/projects/p-1", "{\"project\":{\"id\":\"p-1\",\"compute_time_seconds\":180000,\"active_time_seconds\":90000,"
            + "\"written_data_bytes\":1000000,\"synthetic_storage_size\":2147483648,\"consumption_period_start\":\""
            + now.minus(10, ChronoUnit.DAYS) + "\"}}");
    api.createContext("/", ex -> {
      authorizations.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      String path = ex.getRequestURI().getPath();
      String body = answers.get(path);
      int status = body == null ? 404 : 200;
      if (path.endsWith("/branches") && branchesFail.get()) {
        status = 500;
        body = "{\"message\":\"internal error\"}";
      }
      if (!("Bearer " + KEY).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        status = 401;
        body = "{\"message\":\"bad key\"}";
      }
      byte[] b = (body == null ? "{\"message\":\"not found\"}" : body).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    api.start();
  }

  @AfterEach
  void stopApi() {
    api.stop(0);
  }

  private Map<String, String> neonEnv() {
    return Map.of("NEON_API_KEY", KEY, "NEON_API_URL", "http://127.0.0.1:" + api.getAddress().getPort() + "/api/v2");
  }

  private CliRun run(Map<String, String> env, String... args) {
    return CliRun.of(env, home, args);
  }

  /** The objects the neon extension creates, as superuser-owned stand-ins: 90 % hits, 1 GiB touched in the hour. */
  private static void dressAsNeon(TestDatabase db) {
    db.execute("ALTER DATABASE " + db.name() + " SET neon.timeline_id = 'f3b1c0de'", "CREATE SCHEMA neon",
        "CREATE VIEW neon.neon_stat_file_cache AS SELECT 9900::bigint AS file_cache_misses, 90100::bigint AS file_cache_hits,"
            + " 90.10::numeric AS file_cache_hit_ratio",
        "CREATE FUNCTION neon.approximate_working_set_size_seconds(integer DEFAULT NULL) RETURNS integer LANGUAGE sql"
            + " AS $$SELECT 131072$$");
  }

  @Test
  void aNeonComputeIsSizedFromItsCacheAndItsBranchesReviewed(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      dressAsNeon(db);
      CliRun r = run(neonEnv(), "platform", "--url", db.url(), "--neon-project", "p-1", "--peak-connections", "30");
      assertThat(r.exitCode()).as(r.all()).isEqualTo(ExitCode.WARNING);
      assertThat(r.out()).contains("hit ratio    90.10 %").contains("working set  1.00 GiB")
          // 1 GiB and a tenth to spare need 0.5 CU (1.5 GiB of cache)
          .contains("Compute size: 0.5 to 1 CU").contains("raise the minimum from 0.25 to 0.5 CU")
          .contains("scale to zero is on").contains("Branches: 2, 1 to delete by the policy")
          .contains("delete br-old-test").contains("90 days old, last active 80 days ago")
          .contains("50.0 CU-hours");
      assertThat(r.all()).doesNotContain(KEY);
      assertThat(authorizations).allMatch(a -> a.equals("Bearer " + KEY));

      JsonNode j = JSON.readTree(run(neonEnv(), "platform", "--url", db.url(), "--neon-project", "p-1", "--format", "json").out());
      assertThat(j.path("local_file_cache").path("working_set_bytes").asLong()).isEqualTo(1L << 30);
      assertThat(j.path("compute_size").path("min_cu").asDouble()).isEqualTo(0.5);
      assertThat(j.path("branches").get(1).path("verdict").asText()).isEqualTo("delete");
      assertThat(j.path("consumption").path("compute_cost").asDouble()).isEqualTo(5.3);
      assertThat(j.path("errors")).isEmpty();
    }
  }

  @Test
  void aFailingApiIsReportedBesideWhatCouldBeRead(TestCluster cluster) {
    try (TestDatabase db = cluster.createDatabase()) {
      dressAsNeon(db);
      branchesFail.set(true);
      CliRun r = run(neonEnv(), "platform", "--url", db.url(), "--neon-project", "p-1");
      assertThat(r.exitCode()).as(r.all()).isEqualTo(ExitCode.UNKNOWN);
      assertThat(r.out()).contains("Local File Cache").contains("Neon API: the Neon API refused GET /projects/p-1/branches")
          .contains("HTTP 500").doesNotContain(KEY);
      CliRun noKey = run(Map.of(), "platform", "--url", db.url(), "--neon-project", "p-1");
      assertThat(noKey.exitCode()).isEqualTo(ExitCode.USAGE);
      assertThat(noKey.err()).contains("--neon-project: no Neon API key: set NEON_API_KEY");
      CliRun wrongKey = run(Map.of("NEON_API_KEY", "wrong-secret-42", "NEON_API_URL", neonEnv().get("NEON_API_URL")),
          "platform", "--url", db.url(), "--neon-project", "p-1");
      assertThat(wrongKey.exitCode()).isEqualTo(ExitCode.UNKNOWN);
      assertThat(wrongKey.all()).contains("refused the key (HTTP 401)").doesNotContain("wrong-secret-42");
      assertThat(run(neonEnv(), "platform", "--url", db.url(), "--neon-project", "../x").err()).contains("is not a Neon project id");
    }
  }

  @Test
  void aPlainServerIsSelfManagedWithNothingToChange(TestCluster cluster) {
    try (TestDatabase db = cluster.createDatabase()) {
      CliRun r = run(Map.of(), "platform", "--url", db.url());
      assertThat(r.exitCode()).as(r.all()).isEqualTo(ExitCode.OK);
      assertThat(r.out()).contains("platform   self-managed").contains("postgresql.conf or ALTER SYSTEM")
          .doesNotContain("Local File Cache").doesNotContain("Compute size");
    }
  }

  @Test
  void costPricesStorageAndNamesWhatDroppingIndexesSaves(TestCluster cluster) throws Exception {
    Path prices = home.resolve("prices.json");
    // a price that makes a test database's megabytes show in cents
    Files.writeString(prices, "{\"providers\": {\"lab\": {\"source\": \"https://example.org/lab\", \"checked\": \"2026-12-01\","
        + " \"storage_gb_month\": 1000, \"instance_hour\": {\"lab.small\": 0.5}}}}");
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE events (id bigint, account int, payload text)",
          "INSERT INTO events SELECT g, g % 1000, repeat('x', 100) FROM generate_series(1, 100000) g",
          "CREATE INDEX events_account ON events (account)", "CREATE INDEX events_account_id ON events (account, id)",
          "ANALYZE events");
      CliRun r = run(Map.of(), "cost", "--url", db.url(), "--price-file", prices.toString(), "--price-table", "lab",
          "--instance", "lab.small");
      assertThat(r.exitCode()).as(r.all()).isEqualTo(ExitCode.WARNING);
      assertThat(r.out()).contains("prices: lab (lab, read 2026-12-01 from https://example.org/lab)")
          .contains("storage  database " + db.name()).contains("compute  lab.small").contains("365.25 USD/month")
          .contains("public.events").contains("Savings:").contains("index.redundant");
      JsonNode j = JSON.readTree(run(Map.of(), "cost", "--url", db.url(), "--price-file", prices.toString(), "--price-table",
          "lab", "--format", "json").out());
      assertThat(j.path("prices").path("checked").asText()).isEqualTo("2026-12-01");
      assertThat(j.path("monthly_savings").asDouble()).isPositive();
      assertThat(j.path("notes").toString()).contains("compute left out").contains("backups left out");
      JsonNode advise = JSON.readTree(run(Map.of(), "advise", "--url", db.url(), "--rules", "index.*", "--price-file",
          prices.toString(), "--price-table", "lab", "--sort", "saving", "--format", "json").out());
      JsonNode first = advise.path("findings").get(0);
      assertThat(first.path("impact").path("monthly_saving").asDouble()).isPositive();
      assertThat(first.path("impact").path("price_table").asText()).isEqualTo("lab (2026-12-01)");
      assertThat(advise.path("platform").path("name").asText()).isEqualTo("self-managed");
    }
  }

  @Test
  void badCostInputIsOneLineAndExit64(TestCluster cluster) throws Exception {
    Path bad = home.resolve("bad.json");
    Files.writeString(bad, "{\"providers\": {\"rds\": {\"storage_gb_month\": \"cheap\"}}}");
    try (TestDatabase db = cluster.createDatabase()) {
      for (String[] args : List.of(new String[] {"--price-file", bad.toString()}, new String[] {"--price-table", "azure"},
          new String[] {"--backup-size", "lots"}, new String[] {"--instance-hour", "-1"}, new String[] {"--top", "-3"},
          new String[] {"--format", "xml"})) {
        String[] all = new String[args.length + 3];
        all[0] = "cost";
        all[1] = "--url";
        all[2] = db.url();
        System.arraycopy(args, 0, all, 3, args.length);
        CliRun r = run(Map.of(), all);
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.all()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err().strip().lines().count()).as(r.err()).isLessThanOrEqualTo(2);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("at dev.pgopt");
      }
      assertThat(run(Map.of(), "cost", "--url", db.url(), "--price-file", bad.toString()).err())
          .contains("bad.json, provider rds, storage_gb_month: expected a number");
      assertThat(run(Map.of(), "advise", "--url", db.url(), "--sort", "cheapest").err()).contains("--sort must be severity or saving");
    }
  }
}
