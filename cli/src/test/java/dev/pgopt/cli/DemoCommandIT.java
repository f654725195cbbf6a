package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The demo end to end: a private server under PGOPT_HOME, created, reused, and stopped. */
// the extension only to be skipped with the other server tests in the fast tier: the demo starts a server of its own
@org.junit.jupiter.api.extension.ExtendWith(dev.pgopt.testkit.PostgresExtension.class)
class DemoCommandIT {

  @Test
  void firstRunCreatesEverythingSecondRunReusesItStopStopsIt() throws Exception {
    Path home = Files.createTempDirectory("pgopt-demo-home-");
    // the server runs as the postgres user when we are root: it must be able to enter the directory
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    Map<String, String> env = Map.of("PGOPT_HOME", home.toString());
    try {
      CliRun first = CliRun.of(env, home, "demo", "--scale", "0.01", "--workload", "1s", "--clients", "2");
      assertThat(first.exitCode()).as(first.all()).isEqualTo(ExitCode.OK);
      assertThat(first.out()).contains("creating it (first run)").contains("loaded ").contains("[5/8] what the workload ran").contains("sorted by total-time").contains("workload-start.json").contains("[6/8] the plan of the statement that took most time").contains("[7/8] advice").contains("pgopt advise").contains("[8/8] health report")
          .contains("STATUS").contains("Status: ").contains("./pgopt demo stop");
      assertThat(stepLines(first.out())).as("the README's demo transcript shows the steps the demo prints")
          .isEqualTo(stepLines(Files.readString(Path.of("../README.md"))));
      assertThat(dataDir(home)).isEqualTo(home.resolve("pg15").toString());
      assertThat(Files.exists(home.resolve("pg15/PG_VERSION"))).isTrue();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("workload-start.json"))))
          .isEqualTo("rw-------");
      Path pgpass = home.resolve("pgpass");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pgpass))).isEqualTo("rw-------");
      String password = Files.readString(pgpass).strip().replaceAll(".*:", "");
      assertThat(first.all()).doesNotContain(password);

      CliRun second = CliRun.of(env, home, "demo", "--scale", "0.01", "--workload", "1s", "--clients", "2");
      assertThat(second.exitCode()).as(second.all()).isEqualTo(ExitCode.OK);
      assertThat(second.out()).contains("running on port").contains("already loaded").doesNotContain("creating it");

      // the printed command works as shown: the demo's password file, the demo's URL
      Matcher m = Pattern.compile("PGPASSFILE=(\\S+) \\./pgopt check --url (\\S+)").matcher(second.out());
      assertThat(m.find()).isTrue();
      CliRun check = CliRun.of(Map.of("PGPASSFILE", m.group(1)), home, "check", "--url", m.group(2), "--format", "json");
      assertThat(check.exitCode()).as(check.all()).isIn(ExitCode.OK, ExitCode.WARNING, ExitCode.CRITICAL);
      assertThat(check.out()).contains("\"version\" : 1");

      CliRun stop = CliRun.of(env, home, "demo", "stop");
      assertThat(stop.out()).contains("stopped the demo server");
      assertThat(CliRun.of(env, home, "demo", "stop").out()).contains("is not running");
    } finally {
      CliRun.of(env, home, "demo", "stop");
      String dataDir = dataDir(home);
      delete(home);
      if (dataDir != null && dataDir.startsWith("/var/lib/pgopt/")) {
        delete(Path.of(dataDir).getParent());
      }
    }
  }

  private static void delete(Path root) throws Exception {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Where the demo put its data directory, from demo.properties. */
  private static String dataDir(Path home) throws Exception {
    Path f = home.resolve("demo.properties");
    if (!Files.exists(f)) {
      return null;
    }
    Properties p = new Properties();
    try (var in = Files.newInputStream(f)) {
      p.load(in);
    }
    return p.getProperty("data_dir");
  }

  /**
   * "[n/N] first-word" of every step, once (a first run says step 1 twice: creating, then starting): enough to tell the
   * number, order and kind of the steps.
   */
  private static java.util.List<String> stepLines(String text) {
    java.util.Set<String> out = new java.util.LinkedHashSet<>();
    Matcher m = Pattern.compile("(?m)^(\\[\\d+/\\d+\\] \\S+)").matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return java.util.List.copyOf(out);
  }
}
