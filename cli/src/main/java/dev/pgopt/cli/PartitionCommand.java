package dev.pgopt.cli;

import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.lifecycle.MigrationPlan;
import dev.pgopt.lifecycle.PartitionArchive;
import dev.pgopt.lifecycle.PartitionMaintenance;
import dev.pgopt.lifecycle.PartitionMigration;
import java.time.Duration;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "partition", mixinStandardHelpOptions = true,
    description = {"Time-partitioned tables: a live table moved to range partitions with writes running (migrate),",
        "and partitions made ahead of the rows that need them (maintain). See docs/partitioning.md."})
public final class PartitionCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return ExitCode.USAGE;
  }

  /** {@code pgopt partition maintain}: partitions ahead, and what sits in the default partition. */
  @Command(name = "maintain", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Makes the partitions up to --premake intervals ahead (the interval the newest partition has) and",
          "reports rows in the default partition. A dry run unless --execute. Tables pg_partman manages are left to it."},
      footer = {"", "Exit codes: 0 nothing to do or done, 1 rows sit in the default partition, 2 refused, 3 cannot connect,"
          + " 64 usage error."})
  public static final class Maintain implements Callable<Integer> {
    private final Context ctx;

    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @Option(names = "--table", required = true, paramLabel = "SCHEMA.TABLE", description = "The partitioned table.")
    String table;

    @Option(names = "--premake", defaultValue = "4", paramLabel = "N",
        description = "Intervals ahead of now to have partitions for (default: ${DEFAULT-VALUE}).")
    int premake;

    @Option(names = "--execute", description = "Make them (default: show them).")
    boolean execute;

    public Maintain(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      DatabaseTarget target = connection.target(ctx);
      SessionOptions options = connection.sessionOptions();
      try (Connection c = Connections.open(target, options)) {
        PartitionMaintenance.Plan plan = PartitionMaintenance.plan(c, table, premake);
        ctx.out().println("pgopt partition maintain  " + plan.table().schema() + "." + plan.table().table()
            + (plan.managedBy().isPresent() ? "  managed by " + plan.managedBy().get() + ": run its maintenance"
                : "  interval " + plan.interval() + ", " + premake + " ahead"));
        List<String> made = execute ? PartitionMaintenance.execute(c, plan, options.lockTimeout()) : List.of();
        plan.create().forEach(s -> ctx.out().println("  " + (execute ? (made.contains(s) ? "made  " : "exists ") : "would ") + s + ";"));
        if (plan.create().isEmpty()) {
          ctx.out().println("  partitions are ready " + premake + " intervals ahead");
        }
        plan.defaultRows().filter(r -> r > 0).ifPresent(r -> ctx.out().println("  " + (r >= 1_000_000 ? "over a million" : r)
            + " rows in the default partition " + plan.table().defaultPartition().get().name()
            + ": rows whose partition did not exist; move them into partitions (docs/partitioning.md)"));
        return plan.defaultRows().orElse(0L) > 0 ? ExitCode.WARNING : ExitCode.OK;
      } catch (DatabaseFailure f) {
        throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
      } catch (SQLException | RuntimeException e) {
        if (e instanceof CliFailure cf) {
          throw cf;
        }
        throw RetentionCommand.failure(e);
      }
    }
  }


  @Command(name = "migrate", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Moves a live table to range partitions on a time column while it is written to: a partitioned",
          "copy kept in step by a trigger, rows copied in batches of about --batch-time (resumable), both compared in one",
          "snapshot, names swapped under a short lock; the original stays in step behind it until --finish (--undo goes",
          "back). A dry run unless --execute."},
      footer = {"", "Exit codes: 0 done (or the plan), 2 refused or stopped (the message says why; nothing half done),",
          "3 cannot connect, 64 usage error."})
  public static final class Migrate implements Callable<Integer> {
    private final Context ctx;

    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @Option(names = "--table", required = true, paramLabel = "SCHEMA.TABLE", description = "The table to partition.")
    String table;

    @Option(names = "--column", paramLabel = "COLUMN", description = "The date or timestamp column to partition by.")
    String column;

    @Option(names = "--interval", defaultValue = "1 month", paramLabel = "INTERVAL",
        description = "Each partition's span (default: ${DEFAULT-VALUE}).")
    String interval;

    @Option(names = "--premake", defaultValue = "3", paramLabel = "N",
        description = "Partitions made past now (default: ${DEFAULT-VALUE}); a default partition catches the rest.")
    int premake;

    @Option(names = "--execute", description = "Do it (default: show the plan).")
    boolean execute;

    @Option(names = "--accept-key-change", description = "Agree to the primary key gaining the partition column.")
    boolean acceptKeyChange;

    @Option(names = "--batch-time", defaultValue = "200ms", paramLabel = "DURATION",
        description = "About how long each copy batch holds its rows' locks (default: ${DEFAULT-VALUE}).")
    String batchTime;

    @Option(names = "--lock-timeout", defaultValue = "500ms", paramLabel = "DURATION",
        description = "How long the trigger and the swap wait for their lock, per attempt, 20 attempts: writers queue"
            + " behind a waiting lock, so short tries (default: ${DEFAULT-VALUE}).")
    String lockTimeout;

    @Option(names = "--resume", description = "Go on with the migration under way from where it stopped.")
    boolean resume;

    @Option(names = "--undo", description = "Go back: drop the copy (before the swap) or swap back and drop it (after).")
    boolean undo;

    @Option(names = "--finish", description = "After the swap: drop the original; no undo after this.")
    boolean finish;

    @Option(names = "--status", description = "Show where the migration under way stands.")
    boolean status;

    public Migrate(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      int modes = (resume ? 1 : 0) + (undo ? 1 : 0) + (finish ? 1 : 0) + (status ? 1 : 0);
      if (modes > 1) {
        throw new CliFailure(ExitCode.USAGE, "--resume, --undo, --finish and --status are one at a time");
      }
      if (modes == 0 && column == null) {
        throw new CliFailure(ExitCode.USAGE, "--column is needed: the date or timestamp column to partition by");
      }
      Duration lock = ConnectionOptions.duration(lockTimeout, "--lock-timeout");
      Duration batch = ConnectionOptions.duration(batchTime, "--batch-time");
      String[] name = RetentionCommand.split(table);
      PartitionMigration m = new PartitionMigration(lock, 20);
      DatabaseTarget target = connection.target(ctx);
      try (Connection c = Connections.open(target, connection.sessionOptions().withStatementTimeout(Duration.ofHours(6)))) {
        java.util.Optional<PartitionMigration.Progress> under = PartitionMigration.progress(c, name[0], name[1]);
        if (status) {
          ctx.out().println(under.map(p -> "migration of " + table + ": at " + p.step() + ", " + p.rowsCopied() + " rows copied"
              + (p.lastPk() == null ? "" : ", up to key (" + String.join(", ", p.lastPk()) + ")")).orElse("no migration of " + table + " under way"));
          return ExitCode.OK;
        }
        if (undo) {
          m.undo(c, name[0], name[1]);
          ctx.out().println("undone: " + table + " is the table it was, the partitioned copy is gone");
          return ExitCode.OK;
        }
        if (finish) {
          m.finish(c, name[0], name[1]);
          ctx.out().println("finished: the original of " + table + " is dropped; " + table + " is partitioned");
          return ExitCode.OK;
        }
        if (!resume) {
          if (under.isPresent()) {
            throw new CliFailure(ExitCode.CRITICAL, "a migration of " + table + " is under way (at " + under.get().step()
                + "): --resume to go on, --undo to drop it, --status to see it");
          }
          MigrationPlan plan = PartitionMigration.plan(c, table, column, interval, premake);
          print(plan);
          if (!plan.refusals().isEmpty()) {
            return ExitCode.CRITICAL;
          }
          if (!execute) {
            ctx.out().println();
            ctx.out().println("Dry run: add --execute" + (plan.changes().isEmpty() ? "" : " --accept-key-change") + " to do it.");
            return ExitCode.OK;
          }
          if (!plan.changes().isEmpty() && !acceptKeyChange) {
            throw new CliFailure(ExitCode.USAGE, plan.changes().get(0) + ": agree with --accept-key-change");
          }
          m.prepare(c, plan);
          ctx.out().println("  prepared: partitioned copy, " + plan.partitions().size() + " partitions, sync trigger");
        } else if (under.isEmpty()) {
          throw new CliFailure(ExitCode.USAGE, "no migration of " + table + " under way to resume");
        }
        long before = PartitionMigration.progress(c, name[0], name[1]).map(PartitionMigration.Progress::rowsCopied).orElse(0L);
        long t0 = System.nanoTime();
        PartitionMigration.Progress p = m.backfill(c, name[0], name[1], 1000, batch, Long.MAX_VALUE);
        double secs = Math.max(0.001, (System.nanoTime() - t0) / 1e9);
        ctx.out().printf("  copied: %d rows in all, %d in this run (%.0f rows/s)%n", p.rowsCopied(), p.rowsCopied() - before,
            (p.rowsCopied() - before) / secs);
        if (!p.step().equals("swapped")) {
          PartitionArchive.Checksum[] same = m.verify(c, name[0], name[1]);
          ctx.out().println("  compared in one snapshot: " + same[0].rows() + " rows, checksum " + same[0].sum() + " on both");
          long held = m.swap(c, name[0], name[1]);
          ctx.out().println("  swapped under a lock held " + held + " ms; " + table + " is partitioned");
        }
        ctx.out().println("The original stays as " + name[1] + "__pgopt_old, kept in step: --undo goes back, --finish drops it.");
        return ExitCode.OK;
      } catch (DatabaseFailure f) {
        throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
      } catch (SQLException | RuntimeException e) {
        if (e instanceof CliFailure cf) {
          throw cf;
        }
        throw RetentionCommand.failure(e);
      }
    }

    private void print(MigrationPlan plan) {
      var out = ctx.out();
      out.println("pgopt partition migrate  " + plan.schema() + "." + plan.table() + " by " + plan.column() + ", " + plan.interval()
          + " (about " + plan.rowsEstimate() + " rows)");
      List<String> parts = plan.partitions();
      out.println("  " + (parts.size() - 1) + " partitions and a default one, from " + parts.get(0).replaceAll(".* FOR VALUES ", ""));
      plan.indexes().forEach(i -> out.println("  index: " + i));
      plan.foreignKeys().forEach(f -> out.println("  foreign key: " + f));
      plan.changes().forEach(ch -> out.println("  change: " + ch));
      plan.refusals().forEach(r -> out.println("  cannot: " + r));
    }
  }
}
