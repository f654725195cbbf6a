package dev.pgopt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.backup.BackupException;
import dev.pgopt.backup.BackupRecord;
import dev.pgopt.backup.BackupRepository;
import dev.pgopt.backup.LogicalBackup;
import dev.pgopt.backup.PgBackRest;
import dev.pgopt.backup.Retention;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import java.sql.Connection;
import java.sql.SQLException;
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
    ObjectNode n = BackupRepository.summaryJson(b);
    n.put("seconds", b.took().toMillis() / 1000.0);
    n.put("files", b.files().size());
    return n;
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

    @Option(names = "--physical", description = "A pgBackRest backup of the whole server (after pgopt backup setup).")
    boolean physical;

    @Option(names = "--type", defaultValue = "full", description = "With --physical: full, diff or incr (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--stanza", defaultValue = "main", description = "With --physical: the stanza setup created (default: ${DEFAULT-VALUE}).")
    String stanza;

    @Option(names = "--format", defaultValue = "human", description = "human (default) or json.")
    String format;

    public Run(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      OutputFormat.check(format);
      if (physical) {
        return physical();
      }
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

    private int physical() {
      if (!List.of("full", "diff", "incr").contains(type)) {
        throw new CliFailure(ExitCode.USAGE, "--type must be full, diff or incr, not '" + type + "'");
      }
      try {
        PgBackRest.Backup b = PgBackRest.at(repo, stanza).backup(connection.target(ctx), type);
        if (format.equals("json")) {
          ctx.out().println(physicalJson(b).toPrettyString());
        } else {
          ctx.out().println(b.type() + " backup " + b.label() + ": " + Units.bytes(b.bytes()) + " of data, "
              + Units.bytes(b.repositoryBytes()) + " written to the repository in "
              + Units.seconds(Duration.between(b.start(), b.stop()).toSeconds()) + ", WAL " + b.walStart() + " .. " + b.walStop());
          ctx.out().println("Prove it restores: pgopt backup drill --physical --url URL --repo " + repo + " [--to TIME]");
        }
        return ExitCode.OK;
      } catch (BackupException e) {
        throw new CliFailure(ExitCode.UNKNOWN, e.getMessage(), e);
      }
    }
  }

  static ObjectNode physicalJson(PgBackRest.Backup b) {
    ObjectNode n = JSON.createObjectNode();
    n.put("label", b.label());
    n.put("type", b.type());
    n.put("mode", "physical");
    n.put("started_at", b.start().toString());
    n.put("finished_at", b.stop().toString());
    n.put("bytes", b.bytes());
    n.put("repository_bytes", b.repositoryBytes());
    n.put("wal_start", b.walStart());
    n.put("wal_stop", b.walStop());
    return n;
  }

  @Command(name = "setup", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Configure pgBackRest for a server on this machine: write its configuration into the repository,",
          "point archive_command at it (and archive_mode / wal_level when needed), create the stanza, and run",
          "pgbackrest check. Says what it changed and whether the server needs a restart (then run setup again)."},
      footer = {"", "Exit codes: 0 configured and checked, 1 configured but a restart is needed, 3 cannot (not local,"
          + " no pgBackRest, not a superuser), 64 usage error."})
  public static final class Setup implements Callable<Integer> {
    private final Context ctx;

    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @Option(names = "--repo", required = true, paramLabel = "DIR", description = "The repository directory (created, owned by the server's user).")
    Path repo;

    @Option(names = "--stanza", defaultValue = "main", description = "pgBackRest's name for this server (default: ${DEFAULT-VALUE}).")
    String stanza;

    @Option(names = "--keep-full", defaultValue = "2", paramLabel = "N", description = "Full backups kept, with their"
        + " differentials, incrementals and WAL (default: ${DEFAULT-VALUE}).")
    int keepFull;

    public Setup(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      DatabaseTarget target = connection.target(ctx);
      try (Connection c = Connections.open(target, connection.sessionOptions())) {
        PgBackRest.Setup s = PgBackRest.setup(c, target, repo, stanza, keepFull);
        ctx.out().println("pgBackRest stanza " + stanza + " configured in " + s.backups().config());
        s.changes().forEach(x -> ctx.out().println("  changed " + x));
        if (s.restartNeeded()) {
          ctx.out().println("Restart the server for the changes marked 'next restart', then run this command again to check.");
          return ExitCode.WARNING;
        }
        ctx.out().println("pgbackrest check passed: WAL reaches the repository. Next: pgopt backup run --physical --repo " + repo);
        return ExitCode.OK;
      } catch (DatabaseFailure f) {
        throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
      } catch (BackupException e) {
        throw new CliFailure(ExitCode.UNKNOWN, e.getMessage(), e);
      } catch (SQLException e) {
        throw new CliFailure(ExitCode.UNKNOWN, "backup setup failed: " + e.getMessage().split("\n")[0], e);
      }
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Check backups without restoring them: every file of each logical backup against its manifest's",
          "SHA-256, or with --physical pgbackrest verify (every backup file and archived WAL segment). A drill proves",
          "more (pgopt backup drill); this is the cheap daily check."},
      footer = {"", "Exit codes: 0 all match, 2 a backup is damaged, 3 cannot run, 64 usage error."})
  public static final class Verify implements Callable<Integer> {
    private final Context ctx;

    @Option(names = "--repo", required = true, paramLabel = "DIR", description = "The backup repository.")
    Path repo;

    @Option(names = "--database", paramLabel = "NAME", description = "Only this database's logical backups.")
    String database;

    @Option(names = "--physical", description = "pgbackrest verify on the stanza's repository.")
    boolean physical;

    @Option(names = "--stanza", defaultValue = "main", description = "With --physical: the stanza (default: ${DEFAULT-VALUE}).")
    String stanza;

    public Verify(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      try {
        if (physical) {
          PgBackRest.Verification v = PgBackRest.at(repo, stanza).verify();
          ctx.out().println((v.ok() ? "ok      " : "FAILED  ") + "pgbackrest verify, stanza " + stanza
              + (v.report().isEmpty() ? "" : ": " + v.report()));
          return v.ok() ? ExitCode.OK : ExitCode.CRITICAL;
        }
        BackupRepository r = BackupRepository.at(repo);
        boolean ok = true;
        int seen = 0;
        for (String db : database != null ? List.of(database) : r.databases()) {
          List<String> problems = new ArrayList<>();
          for (BackupRecord b : r.list(db, problems)) {
            var check = r.verify(b);
            seen++;
            ok &= check.passed();
            ctx.out().printf("%-6s  %-20s %-20s %s%n", check.passed() ? "ok" : "FAILED", b.id(), db, check.detail());
          }
          for (String p : problems) {
            ok = false;
            ctx.out().println("FAILED  " + p);
          }
        }
        if (seen == 0 && ok) {
          ctx.out().println("No backups in " + r.root() + (database == null ? "" : " for " + database) + ".");
        }
        return ok ? ExitCode.OK : ExitCode.CRITICAL;
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

    @Option(names = "--physical", description = "pgBackRest's backups (pgbackrest info) instead of logical ones.")
    boolean physical;

    @Option(names = "--stanza", defaultValue = "main", description = "With --physical: the stanza (default: ${DEFAULT-VALUE}).")
    String stanza;

    @Option(names = "--format", defaultValue = "human", description = "human (default) or json.")
    String format;

    public ListBackups(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      OutputFormat.check(format);
      if (physical) {
        try {
          List<PgBackRest.Backup> all = PgBackRest.at(repo, stanza).backups(null);
          if (format.equals("json")) {
            var arr = JSON.createArrayNode();
            all.forEach(b -> arr.add(physicalJson(b)));
            ctx.out().println(JSON.createObjectNode().set("backups", arr).toPrettyString());
            return ExitCode.OK;
          }
          if (all.isEmpty()) {
            ctx.out().println("No pgBackRest backups in " + repo + ". Take one: pgopt backup run --physical --url URL --repo " + repo);
          }
          for (PgBackRest.Backup b : all) {
            ctx.out().printf("%-26s %-5s %10s %10s  %s .. %s  (%s ago)%n", b.label(), b.type(), Units.bytes(b.bytes()),
                Units.bytes(b.repositoryBytes()), b.start(), b.stop(), age(Duration.between(b.stop(), ctx.clock().instant())));
          }
          return ExitCode.OK;
        } catch (BackupException e) {
          throw new CliFailure(ExitCode.UNKNOWN, e.getMessage(), e);
        }
      }
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
