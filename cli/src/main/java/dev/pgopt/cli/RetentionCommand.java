package dev.pgopt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Quantities;
import dev.pgopt.lifecycle.ArchiveManifest;
import dev.pgopt.lifecycle.ArchiveRestore;
import dev.pgopt.lifecycle.LifecycleException;
import dev.pgopt.lifecycle.PartitionedTable;
import dev.pgopt.lifecycle.Retention;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "retention", mixinStandardHelpOptions = true,
    description = {"Retention for time-partitioned tables that loses nothing: old partitions are detached, archived",
        "(compressed binary COPY with a manifest: rows, checksum, bounds), proven by loading the archive back, and only",
        "then dropped; an archive comes back attached or into a scratch schema. See docs/partitioning.md."})
public final class RetentionCommand implements Callable<Integer> {
  static final ObjectMapper JSON = new ObjectMapper();

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return ExitCode.USAGE;
  }

  /** The options every retention subcommand shares. */
  static final class Common {
    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @Option(names = "--table", required = true, paramLabel = "SCHEMA.TABLE", description = "The partitioned table.")
    String table;

    @Option(names = "--archive", required = true, paramLabel = "DIR", description = "Where archives go (one directory per table).")
    Path archive;

    @Option(names = "--lock-timeout", defaultValue = "500ms", paramLabel = "DURATION",
        description = "How long each lock is waited for, per attempt, 20 attempts: writers queue behind a waiting lock"
            + " (default: ${DEFAULT-VALUE}).")
    String lockTimeout;

    @Option(names = "--format", defaultValue = "human", description = "human (default) or json.")
    String format;

    Duration lock() {
      return ConnectionOptions.duration(lockTimeout, "--lock-timeout");
    }

    /** A connection whose statements may run as long as an archive of a large partition takes. */
    Connection open(Context ctx) {
      DatabaseTarget target = connection.target(ctx);
      try {
        return Connections.open(target, connection.sessionOptions().withStatementTimeout(Duration.ofHours(6)));
      } catch (DatabaseFailure f) {
        throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
      }
    }
  }

  static CliFailure failure(Exception e) {
    if (e instanceof LifecycleException) {
      return new CliFailure(ExitCode.CRITICAL, e.getMessage(), e);
    }
    return new CliFailure(ExitCode.UNKNOWN, e.getMessage(), e);
  }

  @Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Archives and drops the partitions wholly older than --keep. A dry run unless --execute."},
      footer = {"", "Exit codes: 0 done (or the dry run's plan), 2 stopped (what was done stays done; the partition that failed",
          "is attached again), 3 cannot connect, 64 usage error."})
  public static final class Run implements Callable<Integer> {
    private final Context ctx;

    @Mixin
    Common common = new Common();

    @Option(names = "--keep", required = true, paramLabel = "INTERVAL", description = "How much to keep: '3 months', '90 days'.")
    String keep;

    @Option(names = "--archive-only", description = "Detach and archive; leave the partitions for `retention drop`.")
    boolean archiveOnly;

    @Option(names = "--execute", description = "Do it (default: show the plan).")
    boolean execute;

    public Run(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      OutputFormat.check(common.format);
      Duration lock = common.lock();
      try (Connection c = common.open(ctx)) {
        Retention.Plan plan = Retention.plan(c, common.table, keep);
        List<Retention.Outcome> done = List.of();
        if (execute && !plan.old().isEmpty()) {
          done = new Retention(ctx.clock()).run(c, plan, new Retention.Options(common.archive, archiveOnly, lock, 20,
              Retention.Options.fileStoreSpace()));
        }
        if (common.format.equals("json")) {
          ObjectNode n = JSON.createObjectNode();
          n.put("table", plan.table().schema() + "." + plan.table().table());
          n.put("cutoff", plan.cutoff());
          n.put("executed", execute);
          ArrayNode parts = n.putArray("partitions");
          for (PartitionedTable.Partition p : plan.old()) {
            ObjectNode o = parts.addObject();
            o.put("name", p.name());
            o.put("from", p.from());
            o.put("to", p.to());
            o.put("bytes", p.bytes());
            done.stream().filter(d -> d.partition().equals(p.name())).findFirst().ifPresent(d -> {
              o.put("outcome", d.outcome());
              o.put("rows", d.manifest().rows());
              o.put("checksum", d.manifest().checksum());
              o.put("archive", common.archive.resolve(d.manifest().schema() + "." + d.manifest().table())
                  .resolve(d.manifest().file()).toString());
            });
          }
          ctx.out().println(n.toPrettyString());
        } else {
          ctx.out().println("pgopt retention run  " + plan.table().schema() + "." + plan.table().table() + "  keep " + keep
              + " (partitions ending by " + plan.cutoff() + ")");
          if (plan.old().isEmpty()) {
            ctx.out().println("  nothing to archive");
          }
          for (PartitionedTable.Partition p : plan.old()) {
            Optional<Retention.Outcome> d = done.stream().filter(x -> x.partition().equals(p.name())).findFirst();
            ctx.out().printf("  %-32s %s .. %s  %s%s%n", p.name(), p.from(), p.to(), CostCommand.size(p.bytes()),
                d.map(x -> "  " + x.outcome() + ": " + x.manifest().rows() + " rows, checksum " + x.manifest().checksum()).orElse(""));
          }
          if (!execute && !plan.old().isEmpty()) {
            ctx.out().println();
            ctx.out().println("Dry run: add --execute to detach, archive into " + common.archive + ", prove and "
                + (archiveOnly ? "keep them detached" : "drop") + " them.");
          }
        }
        return ExitCode.OK;
      } catch (SQLException | RuntimeException e) {
        if (e instanceof CliFailure cf) {
          throw cf;
        }
        throw failure(e);
      }
    }
  }

  @Command(name = "drop", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Drops the table's detached partitions that have an archive, each after proving the archive again",
          "(file hash, loaded back, rows and checksum compared with the partition). A dry run unless --execute."},
      footer = {"", "Exit codes: 0 done, 2 stopped at a partition whose archive is not a copy of it, 3 cannot connect, 64 usage error."})
  public static final class Drop implements Callable<Integer> {
    private final Context ctx;

    @Mixin
    Common common = new Common();

    @Option(names = "--execute", description = "Do it (default: list what would be dropped).")
    boolean execute;

    public Drop(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      OutputFormat.check(common.format);
      String[] name = split(common.table);
      try (Connection c = common.open(ctx)) {
        if (!execute) {
          List<Path> manifests = ArchiveManifest.list(common.archive.resolve(name[0] + "." + name[1]));
          ctx.out().println("pgopt retention drop  " + name[0] + "." + name[1] + ": " + manifests.size()
              + " archives; with --execute each detached partition among them is proven again and dropped");
          manifests.forEach(m -> ctx.out().println("  " + m.getFileName()));
          return ExitCode.OK;
        }
        List<Retention.Outcome> done = new Retention(ctx.clock()).drop(c, name[0], name[1], common.archive,
            new Retention.Options(common.archive, false, common.lock(), 20, Retention.Options.fileStoreSpace()));
        done.forEach(d -> ctx.out().println("  " + d.partition() + ": " + d.outcome()));
        return ExitCode.OK;
      } catch (SQLException | RuntimeException e) {
        if (e instanceof CliFailure cf) {
          throw cf;
        }
        throw failure(e);
      }
    }
  }

  @Command(name = "restore", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Brings an archived partition back: attached to the table with its bounds, or with --into-schema",
          "as a plain table to query. One transaction: loaded, checked against the manifest, attached, or nothing."},
      footer = {"", "Exit codes: 0 restored, 2 refused (corrupt archive, table changed, too large), 3 cannot connect, 64 usage error."})
  public static final class Restore implements Callable<Integer> {
    private final Context ctx;

    @Mixin
    Common common = new Common();

    @Option(names = "--partition", required = true, paramLabel = "NAME", description = "The archived partition.")
    String partition;

    @Option(names = "--into-schema", paramLabel = "SCHEMA", description = "Restore as a plain table in this schema.")
    String intoSchema;

    @Option(names = "--max-size", defaultValue = "10GB", paramLabel = "SIZE",
        description = "Refuse archives whose partition was larger on the server (default: ${DEFAULT-VALUE}).")
    String maxSize;

    public Restore(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      OutputFormat.check(common.format);
      long max;
      try {
        max = (long) Quantities.parseBytes(maxSize.strip());
      } catch (IllegalArgumentException e) {
        throw new CliFailure(ExitCode.USAGE, "--max-size: " + e.getMessage());
      }
      try (Connection c = common.open(ctx)) {
        String table = ArchiveRestore.restore(c, common.archive, common.table, partition, Optional.ofNullable(intoSchema), max,
            common.lock());
        ctx.out().println("restored " + table + (intoSchema == null ? " (attached to " + common.table + ")" : ""));
        return ExitCode.OK;
      } catch (SQLException | RuntimeException e) {
        if (e instanceof CliFailure cf) {
          throw cf;
        }
        throw failure(e);
      }
    }
  }

  static String[] split(String table) {
    int dot = table.indexOf('.');
    return dot < 0 ? new String[] {"public", table} : new String[] {table.substring(0, dot), table.substring(dot + 1)};
  }
}
