package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** scripts/ensure-system, which both README commands run first. */
class SystemSetupIT {
  private static final Path SCRIPT = Path.of("../scripts/ensure-system").toAbsolutePath().normalize();

  private static String[] run(List<String> command) throws Exception {
    // output to a file, so a hung script fails the test after the timeout instead of blocking a pipe read forever
    Path out = Files.createTempFile("pgopt-setup-", ".out");
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      boolean finished = p.waitFor(120, TimeUnit.SECONDS);
      if (!finished) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
      assertThat(finished).as("finished within 120 s").isTrue();
      return new String[] {Integer.toString(p.exitValue()), Files.readString(out, StandardCharsets.UTF_8)};
    } finally {
      Files.deleteIfExists(out);
    }
  }

  @Test
  void quietWhenEverythingIsPresent() throws Exception {
    // the test command ran it before the build, so everything is present now
    String[] r = run(List.of(SCRIPT.toString(), "test"));
    assertThat(r[0]).isEqualTo("0");
    assertThat(r[1]).isEmpty();
  }

  @Test
  void withoutRootItSaysExactlyWhatToInstall() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run the script as an unprivileged user");
    // a copy nobody can read, wherever the checkout lives
    Path dir = Files.createTempDirectory("pgopt-setup-");
    Path copy = Files.copy(SCRIPT, dir.resolve("ensure-system"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
    String[] r;
    try {
      r = run(List.of("runuser", "-u", "nobody", "--", "env", "PGOPT_PG_MAJOR=99", copy.toString(), "demo"));
    } finally {
      Files.delete(copy);
      Files.delete(dir);
    }
    assertThat(r[0]).isEqualTo("1");
    assertThat(r[1]).contains("no root or password-less sudo")
        .contains("run as root: apt-get install -y postgresql-99 postgresql-99-hypopg postgresql-99-pg-qualstats postgresql-server-dev-99")
        .contains("install pgvector >= 0.8 for PostgreSQL 99");
  }
}
