package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class ServerSecurityTest {
  @TempDir
  Path dir;

  @Test
  void servesTlsFromPemFiles(TestCluster cluster, TestDatabase db) throws Exception {
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.resolve("key.pem").toString(),
        "-out", dir.resolve("cert.pem").toString(), "-days", "1", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1");
    TestDatabase store = cluster.createDatabase();
    String yaml = MonitorFixture.config(cluster, db.name(), store.name(), "").replace("server:\n", "server:\n  tls_certificate: "
        + dir.resolve("cert.pem") + "\n  tls_private_key: " + dir.resolve("key.pem") + "\n");
    try (MonitorFixture f = MonitorFixture.start(yaml)) {
      assertThat(f.monitor.baseUrl()).startsWith("https://");
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(dir.resolve("cert.pem"))) {
        trust.setCertificateEntry("pgopt", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      HttpClient https = HttpClient.newBuilder().sslContext(ssl).build();
      HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create(f.monitor.baseUrl() + "/api/targets"))
          .header("Authorization", "Bearer " + MonitorFixture.READ).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      String plain = f.monitor.baseUrl().replace("https://", "http://");
      assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(plain + "/api/live")).build(),
          HttpResponse.BodyHandlers.ofString())).as("no plain HTTP on the TLS port").isInstanceOf(java.io.IOException.class);
    } finally {
      store.close();
    }
  }

  @Test
  void aTraditionalRsaKeyIsRefusedWithTheConversionCommand(TestCluster cluster, TestDatabase db) throws Exception {
    openssl("genrsa", "-traditional", "-out", dir.resolve("rsa.pem").toString(), "2048");
    openssl("req", "-x509", "-key", dir.resolve("rsa.pem").toString(), "-out", dir.resolve("cert.pem").toString(),
        "-days", "1", "-subj", "/CN=127.0.0.1");
    String yaml = MonitorFixture.config(cluster, db.name(), db.name(), "").replace("server:\n", "server:\n  tls_certificate: "
        + dir.resolve("cert.pem") + "\n  tls_private_key: " + dir.resolve("rsa.pem") + "\n");
    assertThatThrownBy(() -> MonitorFixture.start(yaml)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("PKCS#8").hasMessageContaining("openssl pkcs8 -topk8");
  }

  @Test
  void changesAreRateLimitedPerCaller(TestCluster cluster, TestDatabase db) throws Exception {
    TestDatabase store = cluster.createDatabase();
    try (MonitorFixture f = MonitorFixture.start(MonitorFixture.config(cluster, db.name(), store.name(), "")
        .replace("server:\n", "server:\n  mutations_per_minute: 2\n"))) {
      String body = "{\"sql\": \"SELECT 1\"}";
      assertThat(f.post("/api/targets/app/explain", MonitorFixture.ADMIN, body).statusCode()).isEqualTo(200);
      assertThat(f.post("/api/targets/app/explain", MonitorFixture.ADMIN, body).statusCode()).isEqualTo(200);
      HttpResponse<String> third = f.post("/api/targets/app/explain", MonitorFixture.ADMIN, body);
      assertThat(third.statusCode()).isEqualTo(429);
      assertThat(third.headers().firstValue("Retry-After")).contains("60");
      assertThat(third.body()).contains("at most 2 changes per minute");
      assertThat(f.get("/api/targets", MonitorFixture.READ).statusCode()).as("reads are not limited").isEqualTo(200);
    } finally {
      store.close();
    }
  }

  /** One raw HTTP/1.1 GET with the Host header we choose (java.net.http will not send a forged one). */
  private static String rawGet(int port, String host, String path) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @Test
  void withoutTokensOnlyLoopbackNamesAreAnsweredAndPagesCannotBeFramed(TestCluster cluster, TestDatabase db) throws Exception {
    TestDatabase store = cluster.createDatabase();
    String open = MonitorFixture.config(cluster, db.name(), store.name(), "")
        .replace("  read_token: " + MonitorFixture.READ + "\n", "").replace("  admin_token: " + MonitorFixture.ADMIN + "\n", "");
    try (MonitorFixture f = MonitorFixture.start(open)) {
      int port = java.net.URI.create(f.baseUrl()).getPort();
      String rebound = rawGet(port, "attacker.example:" + port, "/api/targets");
      assertThat(rebound).startsWith("HTTP/1.1 421").doesNotContain("\"name\":\"app\"");
      assertThat(rawGet(port, "attacker.example", "/")).startsWith("HTTP/1.1 421");
      for (String host : new String[] {"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "LOCALHOST"}) {
        assertThat(rawGet(port, host, "/api/targets")).as(host).startsWith("HTTP/1.1 200");
      }
      String page = rawGet(port, "127.0.0.1:" + port, "/");
      assertThat(page).startsWith("HTTP/1.1 200").containsIgnoringCase("X-Frame-Options: DENY")
          .containsIgnoringCase("X-Content-Type-Options: nosniff").containsIgnoringCase("Content-Security-Policy: default-src 'self'");
    } finally {
      store.close();
    }
  }

  private static void openssl(String... args) throws Exception {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "openssl";
    System.arraycopy(args, 0, cmd, 1, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }
}
