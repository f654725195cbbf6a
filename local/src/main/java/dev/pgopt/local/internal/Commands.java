package dev.pgopt.local.internal;

import dev.pgopt.local.LocalProcessException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs server binaries. PostgreSQL and PgBouncer refuse to run as root, so when we are root every
 * command runs as the {@code postgres} system user and the files it needs are handed to that user.
 */
public final class Commands {
  public static final String SERVICE_USER = "postgres";
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  private Commands() {}

  public static boolean runningAsRoot() {
    return ROOT;
  }

  /** Result of a finished command. */
  public record Result(int exitCode, String output) {}

  public static Result run(List<String> command, Map<String, String> env, long timeoutSeconds) {
    List<String> full = new ArrayList<>();
    if (ROOT) {
      full.addAll(List.of("runuser", "-u", SERVICE_USER, "--"));
    }
    full.addAll(command);
    Path output = null;
    try {
      // output goes to a file, not a pipe read to its end, so a child that hangs cannot outlast the timeout
      output = Files.createTempFile("pgopt-command", ".out");
      ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.to(output.toFile())).directory(Path.of("/").toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      p.getOutputStream().close();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        // runuser forks the real command: end the whole tree
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        throw new LocalProcessException(command.get(0) + " did not finish within " + timeoutSeconds + " s and was killed");
      }
      return new Result(p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new LocalProcessException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LocalProcessException("interrupted while running " + command.get(0), e);
    } finally {
      if (output != null) {
        try {
          Files.deleteIfExists(output);
        } catch (IOException ignored) {
          // a temporary file left in the temp directory is harmless
        }
      }
    }
  }

  public static String runOrThrow(List<String> command, Map<String, String> env, long timeoutSeconds, String what) {
    Result r = run(command, env, timeoutSeconds);
    if (r.exitCode() != 0) {
      throw new LocalProcessException(what + " failed (exit " + r.exitCode() + "): " + tail(r.output(), 6));
    }
    return r.output();
  }

  /** Starts a long-running process whose output goes to {@code log}. */
  public static Process spawn(List<String> command, Path log) {
    List<String> full = new ArrayList<>();
    if (ROOT) {
      full.addAll(List.of("runuser", "-u", SERVICE_USER, "--"));
    }
    full.addAll(command);
    try {
      return new ProcessBuilder(full)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .directory(Path.of("/").toFile())
          .start();
    } catch (IOException e) {
      throw new LocalProcessException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
  }

  /** Creates a directory (and parents) that the service user owns and only it can read. */
  public static Path createOwnedDirectory(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      handToServiceUser(dir);
      return dir;
    } catch (IOException e) {
      throw new LocalProcessException("cannot create " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Writes a file readable only by the service user. */
  public static void writePrivateFile(Path file, String content) {
    try {
      Files.writeString(file, content, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      handToServiceUser(file);
    } catch (IOException e) {
      throw new LocalProcessException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  public static void handToServiceUser(Path path) throws IOException {
    if (ROOT) {
      UserPrincipal owner = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(SERVICE_USER);
      Files.setOwner(path, owner);
    }
  }

  /** Whether the service user can reach {@code dir}: its parents must be traversable. */
  public static boolean serviceUserCanReach(Path dir) {
    if (!ROOT) {
      return true;
    }
    Path existing = dir.toAbsolutePath();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    return existing != null && run(List.of("test", "-x", existing.toString()), Map.of(), 10).exitCode() == 0;
  }

  public static String tail(String text, int lines) {
    String[] all = text.strip().split("\n");
    int from = Math.max(0, all.length - lines);
    return String.join(" | ", java.util.Arrays.copyOfRange(all, from, all.length)).strip();
  }
}
