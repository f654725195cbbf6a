package dev.pgopt.cli;

import dev.pgopt.backup.BackupException;
import dev.pgopt.backup.BackupRecord;
import dev.pgopt.backup.BackupRepository;
import dev.pgopt.backup.LogicalBackup;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.SessionOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * {@code --backup-first} and the fresh-backup requirement of commands that change a database ({@code apply --execute},
 * {@code vector migrate-halfvec --execute}). The requirement can come from the environment, so that an operator sets
 * it once: {@code PGOPT_BACKUP_REPO} and {@code PGOPT_REQUIRE_BACKUP_WITHIN}.
 */
public final class BackupFirstOptions {
  @Option(names = "--backup-first", description = "Before executing, take a logical backup of the database (as pgopt backup"
      + " run) into --backup-repo; if it fails, nothing is executed.")
  boolean backupFirst;

  @Option(names = "--backup-repo", paramLabel = "DIR", description = "The backup repository (default: $PGOPT_BACKUP_REPO).")
  Path repo;

  @Option(names = "--require-backup-within", paramLabel = "DURATION", description = "Refuse to execute unless --backup-repo"
      + " holds a backup of this database at most this old, or --backup-first makes one (default:"
      + " $PGOPT_REQUIRE_BACKUP_WITHIN, else no requirement).")
  String requireWithin;

  /** Usage errors, before any work: a requirement without a repository, a bad duration. */
  void validate(Context ctx) {
    Path dir = repo != null ? repo : ctx.env().get("PGOPT_BACKUP_REPO").map(Path::of).orElse(null);
    String within = requireWithin != null ? requireWithin : ctx.env().get("PGOPT_REQUIRE_BACKUP_WITHIN").orElse(null);
    if (within != null) {
      ConnectionOptions.duration(within, "--require-backup-within");
    }
    if ((backupFirst || within != null) && dir == null) {
      throw new CliFailure(ExitCode.USAGE, (backupFirst ? "--backup-first" : "a backup requirement") + " needs a repository:"
          + " pass --backup-repo DIR or set PGOPT_BACKUP_REPO; nothing was executed");
    }
  }

  /** Runs the backup or checks the requirement; throws a {@link CliFailure} when execution must not go on. */
  void beforeExecuting(Context ctx, DatabaseTarget target, SessionOptions session) {
    validate(ctx);
    Path dir = repo != null ? repo : ctx.env().get("PGOPT_BACKUP_REPO").map(Path::of).orElse(null);
    String within = requireWithin != null ? requireWithin : ctx.env().get("PGOPT_REQUIRE_BACKUP_WITHIN").orElse(null);
    Duration maxAge = within == null ? null : ConnectionOptions.duration(within, "--require-backup-within");
    if (!backupFirst && maxAge == null) {
      return;
    }
    try {
      if (backupFirst) {
        ctx.out().println("Backing up " + target.database() + " into " + dir + " first ...");
        LogicalBackup.Result r = new LogicalBackup(ctx.clock()).run(target, session, BackupRepository.create(dir),
            LogicalBackup.Options.defaults());
        BackupRecord b = r.backup();
        ctx.out().println("backup " + b.id() + ": " + BackupCommand.describe(b) + " (restore drill: pgopt backup drill --repo "
            + dir + " --database " + target.database() + ")");
        return;
      }
      Optional<BackupRecord> newest = !java.nio.file.Files.isDirectory(dir) ? Optional.empty()
          : BackupRepository.at(dir).list(target.database(), new ArrayList<>()).stream().reduce((a, b) -> b);
      Duration age = newest.map(b -> Duration.between(b.snapshotAt(), ctx.clock().instant())).orElse(null);
      if (age == null || age.compareTo(maxAge) > 0) {
        throw new CliFailure(ExitCode.UNKNOWN, (age == null ? "no backup of " + target.database() + " in " + dir
            : "the newest backup of " + target.database() + " in " + dir + " is " + BackupCommand.age(age) + " old")
            + ", and a backup within " + within + " is required: run with --backup-first, or pgopt backup run; nothing"
            + " was executed");
      }
    } catch (BackupException e) {
      throw new CliFailure(ExitCode.UNKNOWN, "backup first: " + e.getMessage() + "; nothing was executed", e);
    }
  }
}
