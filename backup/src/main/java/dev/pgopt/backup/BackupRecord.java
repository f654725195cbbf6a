package dev.pgopt.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * One backup, as its manifest describes it.
 *
 * @param id the backup's directory name: its start time, UTC ({@code 20261203T084501Z})
 * @param mode {@code logical} (pg_dump directory format)
 * @param snapshotAt the source server's clock at the snapshot the dump reads: the newest commit it can hold
 * @param walLsn the source's WAL position at the snapshot (on a standby, its replay position)
 * @param serverVersion the source server's version
 * @param toolVersion what {@code pg_dump --version} said
 * @param bytes the dump's size on disk
 * @param files every file of the dump by relative path, with its SHA-256
 * @param tableRows exact row counts of the largest tables, counted in the dump's own snapshot
 * @param source where it came from, without the password
 */
public record BackupRecord(String id, String database, String mode, Instant startedAt, Instant finishedAt,
                           Instant snapshotAt, String walLsn, String serverVersion, String toolVersion, int jobs,
                           long bytes, Map<String, String> files, Map<String, Long> tableRows, String source) {
  public static final String LOGICAL = "logical";

  public BackupRecord {
    files = Map.copyOf(files);
    tableRows = Map.copyOf(tableRows);
  }

  public Duration took() {
    return Duration.between(startedAt, finishedAt);
  }
}
