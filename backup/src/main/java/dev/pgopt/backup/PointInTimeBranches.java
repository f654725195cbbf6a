package dev.pgopt.backup;

import dev.pgopt.backup.internal.NeonApi;
import dev.pgopt.connect.DatabaseTarget;
import java.time.Instant;

/**
 * A managed service's point-in-time restore, as a drill sees it: a copy of the database as of a time, reachable
 * through its own connection string, and removed afterwards. On Neon that is a branch at a timestamp
 * ({@link #neon(NeonSettings)}); {@link BranchDrill} runs the same checks on whatever this returns.
 */
public interface PointInTimeBranches {
  /**
   * A created copy.
   *
   * @param id the service's name for it (deleting it needs this)
   * @param target where to connect; it holds a password, never printed ({@link DatabaseTarget#display()})
   */
  record Branch(String id, DatabaseTarget target) {}

  /** Creates a copy of the database as of {@code at} named {@code name}, and waits until it accepts connections. */
  Branch create(Instant at, String name);

  /** Removes the copy; a copy that is already gone is not an error. */
  void delete(Branch branch);

  /** What this is, for reports: "Neon project p, parent branch b". */
  String describe();

  /** The database a copy is checked in, by its name in the source. */
  String database();

  /** Branches of a Neon project through its HTTP API (the key in {@link NeonSettings}). */
  static PointInTimeBranches neon(NeonSettings settings) {
    return new NeonApi(settings);
  }
}
