package dev.pgopt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.backup.BackupException;
import dev.pgopt.backup.BackupRecord;
import dev.pgopt.backup.BackupRepository;
import dev.pgopt.backup.LogicalBackup;
import dev.pgopt.backup.Retention;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "backup", mixinStandardHelpOptions = true,
    description = {"Backups proven by restoring them: logical backups (pg_dump) with a checksum manifest and retention,",
        "and restore drills into a private scratch server that measure RTO and RPO. See docs/backup.md."})
public final class BackupCommand implements Callable<Integer> {
  static final ObjectMapper JSON = new ObjectMapper();

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return ExitCode.USAGE;
  }

  /** "84.2 MB in 12.3 s, snapshot 2026-12-03T08:45:01Z, 10 tables counted". */
  static String describe(BackupRecord b) {
    return Units.bytes(b.bytes()) + " in " + Units.seconds(b.took().toMillis() / 1000.0) + ", snapshot " + b.snapshotAt()
        + ", " + b.tableRows().size() + " tables counted, " + b.files().size() + " files with SHA-256";
  }

  /** "3 h 12 min", "45 s". */
  static String age(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s < 120) {
      return s + " s";
    }
    if (s < 7200) {
      return (s / 60) + " min";
    }
    if (s < 2 * 86400) {
      return (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }
    return (s / 86400) + " days " + (s % 86400 / 3600) + " h";
  }

  static ObjectNode json(BackupRecord b) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", b.id());
    n.put("database", b.database());
    n.put("mode", b.mode());
    n.put("started_at", b.startedAt().toString());
    n.put("finished_at", b.finishedAt().toString());
    n.put("snapshot_at", b.snapshotAt().toString());
    n.put("wal_lsn", b.walLsn());
    n.put("server_version", b.serverVersion());
    n.put("bytes", b.bytes());
    n.put("seconds", b.took().toMillis() / 1000.0);
    n.put("files", b.files().size());
    ObjectNode rows = n.putObject("table_rows");
    b.tableRows().forEach(rows::put);
    return n;
  }

  static void checkFormat(String format) {
    if (!format.equals("human") && !format.equals("json")) {
      throw new CliFailure(ExitCode.USAGE, "--format must be human or json, not '" + format + "'");
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Take a logical backup of one database: pg_dump --format=directory --jobs=N in a snapshot pgopt",
          "exports, exact row counts of the largest tables in that snapshot, a SHA-256 of every file, then retention.",
          "Works on managed services (only a connection is needed). A failed backup leaves nothing in the repository."},
      footer = {"", "Exit codes: 0 done, 3 cannot connect or the backup failed, 64 usage error."})
  public static final class Run implements Callable<Integer> {
    private final Context ctx;

    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @Option(names = "--repo", required = true, paramLabel = "DIR", description = "The backup repository (created when missing).")
    Path repo;

    @Option(names = "--jobs", defaultValue = "2", description = "pg_dump's parallel jobs, each a connection (default: ${DEFAULT-VALUE}).")
    int jobs;

    @Option(names = "--verify-tables", defaultValue = "10", paramLabel = "N",
        description = "Count the rows of the N largest tables for the drill to compare (default: ${DEFAULT-VALUE}).")
    int verifyTables;

    @Option(names = "--keep-last", defaultValue = "7", paramLabel = "N", description = "Retention: always keep the N newest (default: ${DEFAULT-VALUE}).")
    int keepLast;

    @Option(names = "--max-age", paramLabel = "DURATION", description = "Retention: remove older backups beyond --keep-last"
        + " only once they are older than this (default: keep exactly --keep-last).")
    String maxAge;

    @Option(names = "--format", defaultValue = "human", description = "human (default) or json.")
    String format;

    public Run(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      checkFormat(format);
      LogicalBackup.Options options;
      try {
        options = new LogicalBackup.Options(jobs, verifyTables, new Retention(keepLast,
            maxAge == null ? null : ConnectionOptions.duration(maxAge, "--max-age")));
      } catch (IllegalArgumentException e) {
        throw new CliFailure(ExitCode.USAGE, e.getMessage());
      }
      try {
        LogicalBackup.Result r = new LogicalBackup(ctx.clock()).run(connection.target(ctx), connection.sessionOptions(),
            BackupRepository.create(repo), options);
        BackupRecord b = r.backup();
        if (format.equals("json")) {
          ObjectNode n = json(b);
          n.putPOJO("pruned", r.pruned());
          ctx.out().println(n.toPrettyString());
          return ExitCode.OK;
        }
        ctx.out().println("backup " + b.id() + " of " + b.database() + ": " + describe(b));
        ctx.out().println("  in " + BackupRepository.at(repo).directory(b));
        if (!r.pruned().isEmpty()) {
          ctx.out().println("  retention removed " + String.join(", ", r.pruned()));
        }
        ctx.out().println("Prove it restores: pgopt backup drill --repo " + repo + " --database " + b.database());
        return ExitCode.OK;
      } catch (BackupException e) {
        throw new CliFailure(ExitCode.UNKNOWN, e.getMessage(), e);
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
      description = "List the backups in a repository: size, duration, snapshot time, age, tables counted.",
      footer = {"", "Exit codes: 0 done, 3 unreadable repository, 64 usage error."})
  public static final class ListBackups implements Callable<Integer> {
    private final Context ctx;

    @Option(names = "--repo", required = true, paramLabel = "DIR", description = "The backup repository.")
    Path repo;

    @Option(names = "--database", paramLabel = "NAME", description = "Only this database's backups.")
    String database;

    @Option(names = "--format", defaultValue = "human", description = "human (default) or json.")
    String format;

    public ListBackups(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      checkFormat(format);
      try {
        BackupRepository r = BackupRepository.at(repo);
        List<String> problems = new ArrayList<>();
        List<BackupRecord> all = new ArrayList<>();
        for (String db : database != null ? List.of(database) : r.databases()) {
          all.addAll(r.list(db, problems));
        }
        if (format.equals("json")) {
          var arr = JSON.createArrayNode();
          all.forEach(b -> arr.add(json(b)));
          ObjectNode n = JSON.createObjectNode();
          n.set("backups", arr);
          n.putPOJO("problems", problems);
          ctx.out().println(n.toPrettyString());
          return ExitCode.OK;
        }
        if (all.isEmpty()) {
          ctx.out().println("No backups in " + r.root() + (database == null ? "" : " for " + database)
              + ". Take one: pgopt backup run --url URL --repo " + repo);
        }
        for (BackupRecord b : all) {
          ctx.out().printf("%-20s %-20s %10s %8s  snapshot %s (%s ago)  %d tables counted%n", b.id(), b.database(),
              Units.bytes(b.bytes()), Units.seconds(b.took().toMillis() / 1000.0), b.snapshotAt(),
              age(Duration.between(b.snapshotAt(), ctx.clock().instant())), b.tableRows().size());
        }
        for (String db : database != null ? List.of(database) : r.databases()) {
          BackupRepository.Drills d = r.drills(db);
          d.latest().ifPresent(x -> ctx.out().println("last drill of " + db + ": " + (x.passed() ? "passed" : "FAILED")
              + " on " + x.startedAt() + " (backup " + x.backupId() + (x.rtoSeconds() == null ? ""
              : ", RTO " + Units.seconds(x.rtoSeconds())) + ")" + (x.passed() ? "" : d.latestPassed()
              .map(p -> "; last passed " + p.startedAt()).orElse("; none passed yet"))));
        }
        problems.forEach(p -> ctx.out().println("  not a usable backup: " + p));
        return ExitCode.OK;
      } catch (BackupException e) {
        throw new CliFailure(ExitCode.UNKNOWN, e.getMessage(), e);
      }
    }
  }
}
