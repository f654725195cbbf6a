package dev.pgopt.local;

import dev.pgopt.local.internal.Commands;
import java.nio.file.Path;

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

  /** Whether the service user can enter {@code dir}: every parent must be traversable for it. */
  public static boolean canReach(Path dir) {
    return Commands.serviceUserCanReach(dir);
  }
}
