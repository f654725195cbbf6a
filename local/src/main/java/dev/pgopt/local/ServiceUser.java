package dev.pgopt.local;

import dev.pgopt.local.internal.Commands;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The system user local servers run as: ourselves, or {@code postgres} when we are root (PostgreSQL and PgBouncer
 * refuse to run as root). Directories handed to a server must be owned by, and reachable for, that user.
 */
public final class ServiceUser {
  private ServiceUser() {}

  /** Creates {@code dir} (and parents) owned by the service user, mode 0700. */
  public static Path createPrivateDirectory(Path dir) {
    return Commands.createOwnedDirectory(dir);
  }

  /** What a command run as the service user left: its exit code and its output (stdout and stderr). */
  public record Outcome(int exitCode, String output) {}

  /**
   * Runs {@code command} as the service user (through {@code runuser} when we are root), killing it after
   * {@code timeoutSeconds}: for tools that must act as the server's own user, such as pgBackRest.
   */
  public static Outcome run(List<String> command, Map<String, String> environment, long timeoutSeconds) {
    Commands.Result r = Commands.run(command, environment, timeoutSeconds);
    return new Outcome(r.exitCode(), r.output());
  }

  /** Writes a file only the service user can read (mode 0600, owned by it). */
  public static void writePrivateFile(Path file, String content) {
    Commands.writePrivateFile(file, content);
  }

  /** Whether the service user can enter {@code dir}: every parent must be traversable for it. */
  public static boolean canReach(Path dir) {
    return Commands.serviceUserCanReach(dir);
  }
}
