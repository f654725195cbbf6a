package dev.pgopt.advise.rules.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.advise.Advisor;
import dev.pgopt.advise.Finding;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.local.FreePort;
import dev.pgopt.local.LocalPostgres;
import dev.pgopt.local.ServiceUser;
import dev.pgopt.testkit.PostgresExtension;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The security review against servers of their own: one with every planted problem the issue lists (a trust rule, an
 * MD5 password, CREATE on public for everyone, a tenant table without row-level security, a SECURITY DEFINER function
 * without search_path, a remote session without SSL while SSL is on) is found completely, with the fixes; a hardened
 * one gives no security finding at all.
 */
@ExtendWith(PostgresExtension.class) // for the fast tier's skip: it starts servers of its own
class SecurityRulesIT {
  private static final String SUPERUSER = "sec";
  private static final String PASSWORD = "sec-" + Long.toHexString(System.nanoTime());

  @Test
  void everyPlantedProblemIsFoundWithItsFix() throws Exception {
    String remote = remoteAddress();
    try (Server s = Server.start(false, remote)) {
      s.hba("host all all 10.0.0.0/8 trust\nhost all all " + remote + "/32 scram-sha-256\n"
          + "host all legacy 0.0.0.0/0 md5\n");
      s.sql("postgres",
          "SET password_encryption = 'md5'", "CREATE ROLE legacy LOGIN PASSWORD 'legacy-pw'",
          "RESET password_encryption", "CREATE ROLE app LOGIN PASSWORD 'app-pw'",
          "GRANT CREATE ON SCHEMA public TO PUBLIC",
          "CREATE TABLE invoices (id int PRIMARY KEY, tenant_id int NOT NULL, total int)",
          "CREATE FUNCTION bump(i int) RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT i + 1'",
          "GRANT SELECT, INSERT ON invoices TO app");
      // a session over TCP from a non-loopback address, without SSL, while the server offers it
      Properties p = new Properties();
      p.setProperty("user", "app");
      p.setProperty("password", "app-pw");
      p.setProperty("sslmode", "disable");
      try (Connection plain = DriverManager.getConnection("jdbc:postgresql://" + remote + ":" + s.port + "/postgres", p)) {
        plain.createStatement().execute("SELECT count(*) FROM invoices");
        Advisor.Advice advice = s.review();
        Map<String, List<Finding>> byRule = advice.findings().stream().collect(Collectors.groupingBy(Finding::rule));
        assertThat(byRule).containsKeys("security.hba_trust", "security.password", "security.public_create",
            "security.tenant_rls", "security.definer_search_path", "security.session_nossl", "security.hba_nossl",
            "security.hba_open", "security.hba_md5", "security.audit");
        assertThat(byRule.get("security.hba_trust")).singleElement().satisfies(f -> {
          assertThat(f.severity()).isEqualTo(Finding.Severity.CRITICAL);
          assertThat(f.evidence()).containsEntry("address", "10.0.0.0/255.0.0.0").containsEntry("method", "trust");
        });
        assertThat(byRule.get("security.password")).singleElement().satisfies(f -> {
          assertThat(f.evidence()).containsEntry("role", "legacy").containsEntry("hash", "md5");
          assertThat(f.title()).doesNotContain("legacy-pw");
        });
        assertThat(byRule.get("security.public_create")).singleElement()
            .satisfies(f -> assertThat(f.action().sql()).isEqualTo("REVOKE CREATE ON SCHEMA public FROM PUBLIC;"));
        assertThat(byRule.get("security.tenant_rls")).singleElement().satisfies(f -> {
          assertThat(f.action().sql()).contains("ENABLE ROW LEVEL SECURITY").contains("FORCE ROW LEVEL SECURITY")
              .contains("tenant_id = current_setting('app.tenant_id', true)::integer");
          assertThat(f.action().undoSql()).contains("DISABLE ROW LEVEL SECURITY");
        });
        assertThat(byRule.get("security.definer_search_path")).singleElement().satisfies(f ->
            assertThat(f.action().sql()).isEqualTo("ALTER FUNCTION public.bump(i integer) SET search_path = pg_catalog, public, pg_temp;"));
        assertThat(byRule.get("security.session_nossl")).singleElement().satisfies(f -> {
          assertThat(f.severity()).isEqualTo(Finding.Severity.WARNING);
          assertThat(f.evidence()).containsEntry("role", "app").containsEntry("address", remote);
        });
        // the fixes work: applied, the same problems are gone; undone, they are back
        s.sql("postgres", byRule.get("security.public_create").get(0).action().sql(),
            byRule.get("security.definer_search_path").get(0).action().sql(),
            byRule.get("security.tenant_rls").get(0).action().sql());
        Map<String, List<Finding>> after = s.review().findings().stream().collect(Collectors.groupingBy(Finding::rule));
        assertThat(after).doesNotContainKeys("security.public_create", "security.definer_search_path", "security.tenant_rls");
        try (Connection c = s.connect("postgres", "app", "app-pw"); Statement st = c.createStatement()) {
          st.execute("SET app.tenant_id = '7'");
          st.execute("INSERT INTO invoices VALUES (1, 7, 10)");
          assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> st.execute("INSERT INTO invoices VALUES (2, 8, 10)")))
              .as("the policy refuses another tenant's row").hasMessageContaining("row-level security");
        }
      }
    }
  }

  @Test
  void aHardenedServerGivesNoSecurityFinding() throws Exception {
    String remote = remoteAddress();
    try (Server s = Server.start(true, remote)) {
      s.hba("hostssl all all " + remote + "/32 scram-sha-256\n");
      s.sql("postgres",
          "CREATE ROLE owner NOLOGIN", "CREATE ROLE app LOGIN PASSWORD 'app-pw'",
          "CREATE TABLE invoices (id int PRIMARY KEY, tenant_id int NOT NULL, total int)",
          "ALTER TABLE invoices OWNER TO owner",
          "ALTER TABLE invoices ENABLE ROW LEVEL SECURITY", "ALTER TABLE invoices FORCE ROW LEVEL SECURITY",
          "CREATE POLICY tenant_isolation ON invoices USING (tenant_id = current_setting('app.tenant_id', true)::int)",
          "GRANT SELECT, INSERT ON invoices TO app",
          "CREATE FUNCTION bump(i int) RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT i + 1'",
          "CREATE EXTENSION pgaudit", "CREATE EXTENSION pg_stat_statements", "SELECT pg_stat_statements_reset()");
      Properties p = new Properties();
      p.setProperty("user", "app");
      p.setProperty("password", "app-pw");
      p.setProperty("sslmode", "require");
      try (Connection tls = DriverManager.getConnection("jdbc:postgresql://" + remote + ":" + s.port + "/postgres", p);
           Statement st = tls.createStatement()) {
        st.execute("SET app.tenant_id = '1'");
        st.execute("SELECT count(*) FROM invoices");
        Advisor.Advice advice = s.review();
        assertThat(advice.findings()).as(advice.findings().stream().map(Finding::title).toList().toString()).isEmpty();
        assertThat(advice.notes()).noneMatch(n -> n.startsWith("security.") && n.contains("not checked"));
      }
    }
  }

  /** A non-loopback IPv4 address of this machine: connections to it arrive from it, not from 127.0.0.1. */
  private static String remoteAddress() throws Exception {
    Optional<String> address = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
        .filter(i -> {
          try {
            return i.isUp() && !i.isLoopback();
          } catch (java.net.SocketException e) {
            return false;
          }
        })
        .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
        .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
        .map(InetAddress::getHostAddress).findFirst();
    Assumptions.assumeTrue(address.isPresent(), "needs a non-loopback IPv4 address");
    return address.get();
  }

  /** A private server with SSL on (a throw-away certificate), listening on loopback and {@code remote}. */
  private static final class Server implements AutoCloseable {
    final LocalPostgres pg;
    final Path root;
    final int port;

    private Server(LocalPostgres pg, Path root, int port) {
      this.pg = pg;
      this.root = root;
      this.port = port;
    }

    static Server start(boolean audit, String remote) throws Exception {
      Path root = ServiceUser.createPrivateDirectory(Path.of(System.getProperty("java.io.tmpdir"), "pgopt-sec-" + System.nanoTime()));
      LocalPostgres pg = LocalPostgres.at(root.resolve("data"));
      pg.initialize(SUPERUSER, PASSWORD, false);
      Path data = root.resolve("data");
      ServiceUser.Outcome cert = ServiceUser.run(List.of("openssl", "req", "-new", "-x509", "-days", "2", "-nodes",
          "-subj", "/CN=localhost", "-keyout", data.resolve("server.key").toString(), "-out",
          data.resolve("server.crt").toString()), Map.of(), 60);
      assertThat(cert.exitCode()).as(cert.output()).isZero();
      int port = FreePort.find();
      Map<String, String> settings = LocalPostgres.standardSettings(port);
      settings.put("listen_addresses", "'127.0.0.1," + remote + "'");
      settings.put("ssl", "on");
      settings.put("fsync", "off");
      if (audit) {
        settings.put("shared_preload_libraries", "'pg_stat_statements,pgaudit'");
        settings.put("pgaudit.log", "'ddl, role'");
      }
      pg.configure(settings);
      pg.start();
      return new Server(pg, root, port);
    }

    /** Appends rules to pg_hba.conf and reloads. */
    void hba(String rules) throws Exception {
      Path hba = root.resolve("data/pg_hba.conf");
      ServiceUser.writePrivateFile(hba, Files.readString(hba) + rules);
      sql("postgres", "SELECT pg_reload_conf()");
    }

    Connection connect(String database, String user, String password) throws Exception {
      return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, user, password);
    }

    void sql(String database, String... statements) throws Exception {
      try (Connection c = connect(database, SUPERUSER, PASSWORD); Statement st = c.createStatement()) {
        for (String s : statements) {
          st.execute(s);
        }
      }
    }

    Advisor.Advice review() throws Exception {
      DatabaseTarget t = DatabaseTarget.parse("postgres://" + SUPERUSER + ":" + PASSWORD + "@127.0.0.1:" + port + "/postgres",
          Environment.system());
      try (Session session = Session.open(t, SessionOptions.defaults())) {
        return new Advisor(Advisor.securityRules(TenantIsolationRules.DEFAULT_COLUMNS), Clock.systemUTC())
            .run(session, Map.of(), Map.of(), id -> id.equals("security") || id.startsWith("security."));
      }
    }

    @Override
    public void close() {
      pg.stopImmediately();
      dev.pgopt.local.ServiceUser.run(List.of("rm", "-rf", root.toString()), Map.of(), 60);
    }
  }
}
