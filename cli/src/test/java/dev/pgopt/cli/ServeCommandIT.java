package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The serve command's configuration handling: one line naming the file and key, exit 64, no stack trace. */
class ServeCommandIT {
  @TempDir
  Path home;

  @Test
  void aMissingFileIsOneLine() {
    CliRun r = CliRun.of(Map.of(), home, "serve", "--config", home.resolve("nope.yml").toString());
    assertThat(r.exitCode()).isEqualTo(64);
    assertThat(r.err()).contains("nope.yml: no such file").doesNotContain("Exception");
    assertThat(r.err().strip().lines()).hasSize(1);
  }

  @Test
  void anUnknownKeyNamesItsPath() throws Exception {
    Path f = write("""
        store: {url: "postgres://u@127.0.0.1:1/db"}
        targets:
          - name: app
            url: postgres://u@127.0.0.1:1/db
        alerts:
          rules:
            connection_usage: {critcal: 80}
        """);
    CliRun r = CliRun.of(Map.of(), home, "serve", "--config", f.toString());
    assertThat(r.exitCode()).isEqualTo(64);
    assertThat(r.err()).contains("alerts.rules.connection_usage.critcal: unknown key");
  }

  @Test
  void secretsComeFromTheEnvironmentAndAreNeverPrinted() throws Exception {
    Path f = write("""
        store: {url: "postgres://u@127.0.0.1:1/db", password: "${env:STORE_PW}"}
        targets:
          - {name: app, url: "postgres://u@127.0.0.1:1/db", password: "${env:APP_PW}"}
        server: {host: 0.0.0.0, read_token: "${env:READ_TOKEN}"}
        """);
    CliRun missing = CliRun.of(Map.of("STORE_PW", "s3cret-store"), home, "serve", "--config", f.toString());
    assertThat(missing.exitCode()).isEqualTo(64);
    assertThat(missing.err()).contains("environment variable").contains("is not set").doesNotContain("s3cret-store");

    CliRun ok = CliRun.of(Map.of("STORE_PW", "s3cret-store", "APP_PW", "s3cret-app", "READ_TOKEN", "0123456789abcdef0123"),
        home, "serve", "--config", f.toString(), "--check");
    assertThat(ok.exitCode()).as(ok.all()).isEqualTo(0);
    assertThat(ok.out()).contains("OK (1 target(s)");
    assertThat(ok.all()).doesNotContain("s3cret").doesNotContain("0123456789abcdef0123");
  }

  @Test
  void listeningBeyondLoopbackNeedsAToken() throws Exception {
    Path f = write("""
        store: {url: "postgres://u@127.0.0.1:1/db"}
        server: {host: 0.0.0.0}
        targets:
          - {name: app, url: "postgres://u@127.0.0.1:1/db"}
        """);
    CliRun r = CliRun.of(Map.of(), home, "serve", "--config", f.toString(), "--check");
    assertThat(r.exitCode()).isEqualTo(64);
    assertThat(r.err()).contains("server.host: listening on 0.0.0.0 beyond loopback needs read_token or admin_token");
  }

  @Test
  void aBadCronExpressionIsRefused() throws Exception {
    Path f = write("""
        store: {url: "postgres://u@127.0.0.1:1/db"}
        targets:
          - {name: app, url: "postgres://u@127.0.0.1:1/db"}
        maintenance: {daily_health_check: "every day at six"}
        """);
    CliRun r = CliRun.of(Map.of(), home, "serve", "--config", f.toString(), "--check");
    assertThat(r.exitCode()).isEqualTo(64);
    assertThat(r.err()).contains("maintenance.daily_health_check").contains("is not a cron expression");
  }

  private Path write(String yaml) throws Exception {
    Path f = home.resolve("pgopt.yml");
    Files.writeString(f, yaml);
    return f;
  }
}
