package dev.pgopt.cli;

import dev.pgopt.analyze.health.Units;
import dev.pgopt.backup.BackupException;
import dev.pgopt.backup.BackupRecord;
import dev.pgopt.backup.BackupRepository;
import dev.pgopt.backup.BranchDrill;
import dev.pgopt.backup.NeonSettings;
import dev.pgopt.backup.DrillReport;
import dev.pgopt.backup.PgBackRest;
import dev.pgopt.backup.PointInTimeBranches;
import dev.pgopt.backup.PointInTimeDrill;
import dev.pgopt.backup.RestoreDrill;
import dev.pgopt.connect.DatabaseTarget;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "drill", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Prove a backup restores: restore it into a private scratch server on a free port, check it, report",
        "RTO (time to a usable database) and RPO (data a restore would lose), then remove the server.",
        "Checks: every file's SHA-256 against the manifest, pg_restore without errors, the row counts taken at the",
        "backup's snapshot, amcheck on every B-tree index, and --smoke (run read-only). It never connects to the source."},
    footer = {"", "Exit codes: 0 passed, 2 a check failed, 3 cannot run (no backup, no scratch server), 64 usage error."})
public final class BackupDrillCommand implements Callable<Integer> {
  private final Context ctx;

  @Option(names = "--repo", paramLabel = "DIR", description = "The backup repository (with --neon-project: optional, where"
      + " the drill's report is kept).")
  Path repo;

  @Option(names = "--database", paramLabel = "NAME", description = "Whose logical backup to restore (required without --physical).")
  String database;

  @Option(names = "--physical", description = "Restore the pgBackRest backups to --to (point-in-time recovery); --url gives"
      + " the database to check and the role to check it as (the copy has the source's roles; the source is not contacted).")
  boolean physical;

  @Option(names = "--stanza", defaultValue = "main", description = "With --physical: the stanza (default: ${DEFAULT-VALUE}).")
  String stanza;

  @Option(names = "--neon-project", paramLabel = "ID", description = "Drill Neon's point-in-time restore instead: a branch of"
      + " this project at --to, checked and deleted (NEON_API_KEY; --url gives the database and role, the source is not"
      + " contacted).")
  String neonProject;

  @Option(names = "--neon-branch", paramLabel = "ID", description = "With --neon-project: the parent branch (default: the"
      + " project's default branch).")
  String neonBranch;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Option(names = "--backup", paramLabel = "ID", description = "This backup (pgopt backup list); default: chosen by --to.")
  String backupId;

  @Option(names = "--to", paramLabel = "TIMESTAMP|latest", defaultValue = "latest",
      description = "Recover the data as of this time (ISO-8601, e.g. 2026-12-03T08:00:00Z): the newest backup taken"
          + " before it; the RPO is measured against it (default: ${DEFAULT-VALUE}, now).")
  String to;

  @Option(names = "--smoke", paramLabel = "SQL", description = "A query the restored database must answer with at least one row.")
  String smoke;

  @Option(names = "--jobs", defaultValue = "2", description = "pg_restore's parallel jobs (default: ${DEFAULT-VALUE}).")
  int jobs;

  @Option(names = "--scratch-dir", paramLabel = "DIR", description = "Where the scratch server lives while the drill runs"
      + " (needs room for the restored database; default: the system's temporary directory).")
  Path scratchDir;

  @Option(names = "--format", defaultValue = "human", description = "human (default) or json.")
  String format;

  public BackupDrillCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    OutputFormat.check(format);
    if (jobs < 1 || jobs > 64) {
      throw new CliFailure(ExitCode.USAGE, "--jobs must be 1 to 64");
    }
    if (backupId != null && !to.equals("latest")) {
      throw new CliFailure(ExitCode.USAGE, "use --backup or --to, not both");
    }
    Instant target;
    try {
      target = to.equals("latest") ? ctx.clock().instant() : Instant.parse(to);
    } catch (DateTimeParseException e) {
      throw new CliFailure(ExitCode.USAGE, "--to must be latest or an ISO-8601 time such as 2026-12-03T08:00:00Z, not '" + to + "'");
    }
    if (target.isAfter(ctx.clock().instant())) {
      throw new CliFailure(ExitCode.USAGE, "--to " + to + " is in the future");
    }
    RestoreDrill.Options defaults = RestoreDrill.Options.defaults();
    RestoreDrill.Options options = new RestoreDrill.Options(jobs, scratchDir != null ? scratchDir : defaults.scratchParent(),
        smoke, defaults.statementTimeout());
    if (neonProject != null) {
      return neon(to.equals("latest") ? null : target, options);
    }
    if (repo == null) {
      throw new CliFailure(ExitCode.USAGE, "--repo is required (the backup repository)");
    }
    if (physical) {
      if (backupId != null) {
        throw new CliFailure(ExitCode.USAGE, "--backup is for logical backups; with --physical choose the time with --to");
      }
      try {
        DatabaseTarget source = connection.target(ctx);
        if (format.equals("human")) {
          ctx.out().println("Restoring stanza " + stanza + " from " + repo + " to " + (to.equals("latest") ? "the end of the archive" : to)
              + " in a scratch server ...");
        }
        DrillReport report = new PointInTimeDrill(ctx.clock()).run(PgBackRest.at(repo, stanza), source,
            to.equals("latest") ? null : target, options);
        return finish(report);
      } catch (BackupException e) {
        throw new CliFailure(ExitCode.UNKNOWN, e.getMessage(), e);
      }
    }
    if (database == null) {
      throw new CliFailure(ExitCode.USAGE, "--database is required for a logical backup's drill (or use --physical)");
    }
    try {
      BackupRepository r = BackupRepository.at(repo);
      List<String> problems = new ArrayList<>();
      List<BackupRecord> all = r.list(database, problems);
      BackupRecord b;
      if (backupId != null) {
        b = all.stream().filter(x -> x.id().equals(backupId)).findFirst().orElseThrow(() -> new CliFailure(ExitCode.UNKNOWN,
            "no backup " + backupId + " of database " + database + " in " + repo + ": list them with pgopt backup list --repo " + repo));
      } else if (all.isEmpty()) {
        throw new CliFailure(ExitCode.UNKNOWN, "no backup of database " + database + " in " + repo
            + (problems.isEmpty() ? "" : " (" + problems.size() + " unreadable)") + ": take one with pgopt backup run");
      } else {
        b = r.newestAtOrBefore(database, target).orElseThrow(() -> new CliFailure(ExitCode.UNKNOWN, "--to " + to
            + " is before the first backup of " + database + " (snapshot " + all.get(0).snapshotAt() + "): nothing restores"
            + " the data as of then"));
      }
      if (format.equals("human")) {
        ctx.out().println("Restoring backup " + b.id() + " of " + database + " (" + Units.bytes(b.bytes())
            + ", snapshot " + b.snapshotAt() + ") into a scratch server ...");
      }
      return finish(new RestoreDrill(ctx.clock()).run(r, b, target, options));
    } catch (BackupException e) {
      throw new CliFailure(ExitCode.UNKNOWN, e.getMessage(), e);
    }
  }

  private int neon(Instant target, RestoreDrill.Options options) {
    if (physical || backupId != null || database != null) {
      throw new CliFailure(ExitCode.USAGE, "--neon-project drills a branch at --to: --physical, --backup and --database do"
          + " not apply (--url names the database and role)");
    }
    try {
      DatabaseTarget source = connection.target(ctx);
      PointInTimeBranches branches = PointInTimeBranches.neon(NeonSettings.fromEnvironment(ctx.env(), neonProject,
          Optional.ofNullable(neonBranch), source.database(), source.user()));
      if (format.equals("human")) {
        ctx.out().println("Creating a branch of " + branches.describe() + " as of " + (target == null ? "now" : target)
            + " ...");
      }
      Optional<BackupRepository> record = repo == null ? Optional.empty()
          : Optional.of(BackupRepository.create(repo));
      return finish(new BranchDrill(ctx.clock()).run(branches, target, options, record));
    } catch (BackupException e) {
      throw new CliFailure(ExitCode.UNKNOWN, e.getMessage(), e);
    }
  }

  private int finish(DrillReport report) {
    if (format.equals("json")) {
      ctx.out().println(BackupRepository.drillJson(report).toPrettyString());
    } else {
      print(report);
    }
    return report.passed() ? ExitCode.OK : ExitCode.CRITICAL;
  }

  private void print(DrillReport r) {
    for (DrillReport.Check c : r.checks()) {
      ctx.out().printf("  %-12s %-6s %s%n", c.name(), c.passed() ? "ok" : "FAILED", c.detail());
    }
    ctx.out().println("RTO " + (r.rto() == null ? "- (not restored)" : seconds(r.rto())) + " (time to a usable database)"
        + "   RPO " + (r.rpo() == null ? "unknown" : BackupCommand.age(r.rpo())) + " (" + r.target()
        + (physical ? " minus the newest commit restored)" : neonProject != null ? ": a branch holds exactly that time)"
        : " minus the backup's snapshot)"));
    ctx.out().println(r.passed() ? "PASSED: backup " + r.backupId() + " restores and holds what it should."
        : "FAILED: backup " + r.backupId() + " did not pass the drill; take a new backup and find out why.");
  }

  private static String seconds(Duration d) {
    return Units.seconds(d.toMillis() / 1000.0);
  }
}
