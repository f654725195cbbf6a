package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.backup.BackupRepository;
import dev.pgopt.backup.LogicalBackup;
import dev.pgopt.backup.RestoreDrill;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in headless Chromium against a real target: each page renders real data (DOM assertions), and
 * screenshots are kept under target/dashboard/ as test artifacts.
 */
@ExtendWith(PostgresExtension.class)
class DashboardBrowserTest {
  static final Path ARTIFACTS = Path.of("target", "dashboard");
  static MonitorFixture f;
  static TestDatabase store;
  static Path profile;
  @TempDir
  static Path backups;
  static String backupId;
  static dev.pgopt.local.LocalPgBouncer bouncer;

  @BeforeAll
  static void start(TestCluster cluster, TestDatabase db) throws Exception {
    store = cluster.createDatabase();
    db.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, customer int, status text, total numeric)",
        "INSERT INTO orders (customer, status, total) SELECT g % 500, CASE WHEN g % 10 = 0 THEN 'open' ELSE 'done' END, g FROM generate_series(1, 20000) g",
        "CREATE INDEX orders_status_idx ON orders (status)",
        "CREATE TABLE docs (id bigserial PRIMARY KEY, embedding vector(3))",
        "INSERT INTO docs (embedding) SELECT ARRAY[random(), random(), random()]::vector FROM generate_series(1, 500)",
        "CREATE INDEX docs_embedding_idx ON docs USING hnsw (embedding vector_cosine_ops)",
        "ANALYZE");
    // a backup and a drill that passed, for the backups page
    BackupRepository repo = BackupRepository.create(backups);
    backupId = new LogicalBackup(Clock.systemUTC()).run(DatabaseTarget.parse(db.url(), Environment.system()),
        SessionOptions.defaults(), repo, LogicalBackup.Options.defaults()).backup().id();
    new RestoreDrill(Clock.systemUTC()).run(repo, db.name(), backupId, RestoreDrill.Options.defaults());
    // a PgBouncer in front, with a pool in use, for the pooler page
    bouncer = cluster.startPgBouncer("transaction");
    try (Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + bouncer.port() + "/" + db.name()
        + "?prepareThreshold=0", TestCluster.SUPERUSER, cluster.password()); Statement s = c.createStatement()) {
      s.executeQuery("SELECT 1").close();
    }
    String admin = "postgresql://" + TestCluster.SUPERUSER + ":" + java.net.URLEncoder.encode(cluster.password(),
        StandardCharsets.UTF_8) + "@127.0.0.1:" + bouncer.port() + "/pgbouncer";
    String yaml = """
        server:
          port: 0
        store:
          url: %s
        targets:
          - name: shop
            url: %s
            backup:
              repo: %s
            pgbouncer:
              admin_url: %s
        maintenance:
          restore_drill: "0 5 * * 0"
        collect:
          activity_interval: 1s
          statements_interval: 5s
        """.formatted(cluster.url(store.name()), cluster.url(db.name()), backups, admin);
    f = MonitorFixture.start(yaml);
    // the first statements snapshot is the baseline: the workload must come after it to show in a window
    Probe.waitUntil(() -> {
      try {
        return f.json("/api/targets").get(0).path("values").has("database_bytes");
      } catch (Exception e) {
        return false;
      }
    });
    try (Connection c = MonitorFixture.app(cluster, db.name(), "shop-web"); Statement s = c.createStatement()) {
      for (int i = 0; i < 40; i++) {
        s.executeQuery("SELECT * FROM orders WHERE customer = " + i).close();
        s.executeQuery("SELECT id FROM docs ORDER BY embedding <=> '[0.1,0.2," + (i / 40.0) + "]' LIMIT 10").close();
      }
    }
    Probe.waitUntil(() -> {
      try {
        return f.json("/api/targets/shop/queries?type=usage").path("queries").size() > 0
            && f.json("/api/targets/shop/findings").has("findings");
      } catch (Exception e) {
        return false;
      }
    });
    Files.createDirectories(ARTIFACTS);
    profile = Files.createTempDirectory("pgopt-chromium-");
  }

  @AfterAll
  static void stop() {
    if (f != null) {
      f.close();
    }
    if (store != null) {
      store.close();
    }
    if (bouncer != null) {
      bouncer.close();
    }

  }

  @Test
  void overviewShowsTheTargetWithLiveFigures() throws Exception {
    String dom = dom("overview");
    assertThat(dom).contains("data-target=\"shop\"").contains("Connections").contains("TPS").contains("Cache hit")
        .contains(">up<").contains("History of shop");
    assertThat(dom).as("uPlot drew charts").contains("uplot");
    screenshot("overview");
  }

  @Test
  void queriesListsStatementsWithSparklines() throws Exception {
    String dom = dom("queries");
    assertThat(dom).contains("FROM orders WHERE customer").contains("class=\"spark\"");
    assertThat(dom).doesNotContain("/* pgopt");
    screenshot("queries");
  }

  @Test
  void indexesShowUnusedOnesWithTheirProof() throws Exception {
    String dom = dom("indexes");
    assertThat(dom).contains("orders_status_idx").contains("no index scans since statistics were reset");
    screenshot("indexes");
  }

  @Test
  void vacuumVectorAndAlertPagesRender() throws Exception {
    assertThat(dom("vacuum")).contains("Tables by dead tuples").contains("public.orders");
    String vector = dom("vector");
    assertThat(vector).contains("docs_embedding_idx").contains("public.docs.embedding").contains("Mean vector search");
    screenshot("vector");
    assertThat(dom("alerts")).contains("Firing now").contains("Open incidents");
  }

  @Test
  void backupsShowTheNewestBackupAndTheDrillThatProvedIt() throws Exception {
    String dom = dom("backups");
    assertThat(dom).contains("logical backups").contains("last drill passed").contains("Restore drills")
        .contains(backupId).contains("restore_drill 0 5 * * 0").doesNotContain("never drilled");
    screenshot("backups");
  }

  @Test
  void poolerShowsThePgBouncerAndItsPools() throws Exception {
    String dom = dom("pooler");
    assertThat(dom).contains("PgBouncer 1.").contains("transaction mode").contains("answering").contains("Clients waiting")
        .contains("Busy / size").doesNotContain(">null<");
    screenshot("pooler");
  }

  @Test
  void aFleetIsOneRowPerTargetDownFirstThenByItsWorstFinding(TestCluster cluster, TestDatabase db) throws Exception {
    // thirteen targets from a targets file: the shop's database under twelve names, and one that refuses
    int closed;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    StringBuilder lines = new StringBuilder("# fleet\n");
    for (int i = 1; i <= 12; i++) {
      lines.append(String.format("db%02d %s%n", i, cluster.url(db.name())));
    }
    lines.append("gone postgresql://nobody@127.0.0.1:").append(closed).append("/none\n");
    Path file = profile.resolve("targets.txt");
    Files.writeString(file, lines);
    String yaml = """
        server:
          port: 0
        store:
          url: %s
        targets_file: %s
        collect:
          activity_interval: 1s
          statements_interval: 5s
          findings_interval: 26s
        """.formatted(cluster.url(store.name()), file);
    try (MonitorFixture fleet = MonitorFixture.start(yaml)) {
      // findings are spread over the interval: the first target's come 2 s after start
      Probe.waitUntil(() -> {
        try {
          return fleet.json("/api/targets").get(0).path("worst_finding").has("severity");
        } catch (Exception e) {
          return false;
        }
      });
      String out = chromium("--dump-dom", fleet.monitor.baseUrl() + "/#/overview");
      assertThat(out).contains("data-loaded=\"overview\"").contains("<th class=\"\">Worst finding</th>");
      String rows = out.substring(out.indexOf("<tbody>"), out.indexOf("</tbody>"));
      assertThat(rows.split("<tr>", -1)).hasSize(14);
      // the refusing target first, with why
      assertThat(rows.indexOf(">gone<")).isLessThan(rows.indexOf(">db01<"));
      assertThat(rows).contains("badge down").contains("badge ok");
      JsonNode first = fleet.json("/api/targets").get(0);
      assertThat(rows).contains(first.path("worst_finding").path("title").asText().replace("&", "&amp;").replace("<", "&lt;")
          .replace(">", "&gt;"));
      Path png = ARTIFACTS.resolve("fleet.png").toAbsolutePath();
      Files.deleteIfExists(png);
      chromium("--screenshot=" + png, "--window-size=1400,1000", fleet.monitor.baseUrl() + "/#/overview");
      assertThat(png).exists();
    }
  }

    private static String dom(String page) throws Exception {
    String out = chromium("--dump-dom", f.monitor.baseUrl() + "/#/" + page);
    assertThat(out).as("page %s finished rendering", page).contains("data-loaded=\"" + page + "\"");
    assertThat(out).doesNotContain("class=\"error\"");
    return out;
  }

  private static void screenshot(String page) throws Exception {
    Path png = ARTIFACTS.resolve(page + ".png").toAbsolutePath();
    Files.deleteIfExists(png);
    chromium("--screenshot=" + png, "--window-size=1400,1000", f.monitor.baseUrl() + "/#/" + page);
    assertThat(png).exists();
    assertThat(Files.size(png)).isGreaterThan(10_000);
  }

  private static String chromium(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars", "--user-data-dir=" + profile,
        "--virtual-time-budget=10000"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("chromium finished").isTrue();
    return new String(out, StandardCharsets.UTF_8);
  }
}
