package dev.pgopt.cli;

import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.lifecycle.PartitionMaintenance;
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
    description = {"Time-partitioned tables: partitions made ahead of the rows that need them (maintain). See",
        "docs/partitioning.md."})
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

}
