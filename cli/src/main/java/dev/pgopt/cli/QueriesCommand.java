package dev.pgopt.cli;

import dev.pgopt.analyze.workload.TopStatements;
import dev.pgopt.analyze.workload.TopStatementsJson;
import dev.pgopt.analyze.workload.WorkloadWindow;
import dev.pgopt.cli.internal.HumanQueries;
import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.collect.StatementSnapshotFile;
import dev.pgopt.collect.StatementStatisticsUnavailable;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "queries", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Top statements from pg_stat_statements, ranked by time, calls, rows, blocks or temp spills.",
        "Never resets the statistics: --interval or a saved snapshot (--save-snapshot, then --since) reports what happened "
            + "in between, surviving resets and evictions."},
    footer = {"", "Exit codes: 0 done, 3 cannot connect or pg_stat_statements unavailable, 64 usage error."})
public final class QueriesCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Option(names = "--sort", defaultValue = "total-time", paramLabel = "KEY",
      description = "total-time (default; the same order as share of total time), mean-time, calls, rows, shared-read, shared-hit, temp.")
  String sort;

  @Option(names = "--limit", defaultValue = "20", description = "How many statements (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--width", defaultValue = "100", description = "Truncate query text to this many characters; 0 for all (default: ${DEFAULT-VALUE}).")
  int width;

  @Option(names = "--interval", paramLabel = "DURATION", description = "Measure for this long and report only what ran meanwhile, e.g. 60s.")
  String interval;

  @Option(names = "--since", paramLabel = "FILE", description = "Report what ran since the snapshot saved in FILE.")
  Path since;

  @Option(names = "--save-snapshot", paramLabel = "FILE", description = "Save the current statistics to FILE for a later --since.")
  Path saveSnapshot;

  @Option(names = "--format", defaultValue = "human", description = "human (default) or json (docs/queries-report.md).")
  String format;

  public QueriesCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    OutputFormat.check(format);
    if (limit < 1) {
      throw new CliFailure(ExitCode.USAGE, "--limit must be at least 1");
    }
    if (width < 0) {
      throw new CliFailure(ExitCode.USAGE, "--width must not be negative");
    }
    if (interval != null && since != null) {
      throw new CliFailure(ExitCode.USAGE, "use --interval or --since, not both");
    }
    TopStatements.SortKey key;
    try {
      key = TopStatements.SortKey.parse(sort);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCode.USAGE, "--sort: " + e.getMessage());
    }
    Duration wait = interval == null ? null : ConnectionOptions.duration(interval, "--interval");
    StatementSnapshot earlier = since == null ? null : readSnapshot(since);
    DatabaseTarget target = connection.target(ctx);
    try (Session session = Session.open(target, connection.sessionOptions())) {
      if (wait != null) {
        earlier = snapshot(session);
        if (format.equals("human")) {
          ctx.err().println("measuring for " + interval + "...");
        }
        sleep(wait);
      }
      report(session, earlier, key);
      return ExitCode.OK;
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
  }

  /** Reports what ran since {@code earlier} (null: since the statistics were reset), as the command does. */
  public TopStatements report(Session session, StatementSnapshot earlier, TopStatements.SortKey key) throws DatabaseFailure {
    StatementSnapshot now = snapshot(session);
    WorkloadWindow window;
    try {
      window = earlier == null ? WorkloadWindow.cumulative(now) : WorkloadWindow.between(earlier, now);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCode.USAGE, "--since " + since + ": " + e.getMessage());
    }
    if (saveSnapshot != null) {
      try {
        StatementSnapshotFile.write(now, saveSnapshot);
      } catch (IOException e) {
        throw new CliFailure(ExitCode.UNKNOWN, "cannot write the snapshot to " + saveSnapshot + ": " + e.getMessage(), e);
      }
    }
    TopStatements top = TopStatements.of(window, key, limit);
    String target = session.target().display();
    if (format.equals("json")) {
      ctx.out().println(TopStatementsJson.write(top, target, now.database(), ctx.clock().instant()));
    } else {
      ctx.out().print(HumanQueries.render(top, target, ctx.clock().instant(), width));
      if (saveSnapshot != null) {
        ctx.out().println("\nSnapshot saved to " + saveSnapshot + ": later, pgopt queries --since " + saveSnapshot);
      }
    }
    return top;
  }

  public StatementSnapshot snapshot(Session session) throws DatabaseFailure {
    return session.readOnly(c -> {
      try {
        return StatementCollector.read(c, session.serverVersionNum(), ctx.clock());
      } catch (StatementStatisticsUnavailable e) {
        throw new CliFailure(ExitCode.UNKNOWN, e.getMessage() + " (database " + session.target().display() + ")");
      }
    });
  }

  private static StatementSnapshot readSnapshot(Path file) {
    try {
      return StatementSnapshotFile.read(file);
    } catch (NoSuchFileException e) {
      throw new CliFailure(ExitCode.USAGE, "--since: no such file " + file);
    } catch (IOException | IllegalArgumentException e) {
      throw new CliFailure(ExitCode.USAGE, "--since: " + e.getMessage());
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(ExitCode.UNKNOWN, "interrupted while measuring");
    }
  }
}
