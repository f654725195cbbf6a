package dev.pgopt.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What a restore drill found.
 *
 * @param rto the time to a usable database: from the drill's start (checksums, scratch server, restore) until the
 *     restored database accepted queries; null when the restore did not succeed
 * @param restore how long pg_restore itself took; null when it did not run
 * @param target the point in time the drill recovers to: its start for the latest backup, else the time asked for
 * @param rpo how much of {@code target} a restore of this backup loses: the target minus the newest commit restored
 *     (a logical backup's snapshot; for point-in-time recovery, the last commit replayed); null when unknown
 * @param checks every check, in the order run; the drill passed when all passed
 */
public record DrillReport(String database, String backupId, Instant backupSnapshotAt, Instant startedAt, Instant target,
                          Duration rto,
                          Duration restore, Duration rpo, long backupBytes, List<Check> checks, Duration took) {
  public DrillReport {
    checks = List.copyOf(checks);
  }

  /** One check: its name, whether it passed, and what it saw. */
  public record Check(String name, boolean passed, String detail) {}

  public boolean passed() {
    return !checks.isEmpty() && checks.stream().allMatch(Check::passed);
  }
}
