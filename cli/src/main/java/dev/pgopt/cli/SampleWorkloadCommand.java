package dev.pgopt.cli;

import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.sample.Workload;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "workload", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Run the sample workload against a database holding the sample dataset: point lookups, filtered "
        + "lists with ORDER BY ... LIMIT, keyset pagination, time-series aggregates, full-text search and writes.",
        "Some statements need indexes the sample schema lacks on purpose."})
public final class SampleWorkloadCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Option(names = "--duration", defaultValue = "10s", description = "How long to run (default: ${DEFAULT-VALUE}).")
  String duration;

  @Option(names = "--statements", defaultValue = "0", description = "Stop after this many statements instead (0: use --duration).")
  long statements;

  @Option(names = "--clients", defaultValue = "4", description = "Concurrent clients, one connection each (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--seed", defaultValue = "7", description = "Random seed for parameters (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--mix", split = ",", paramLabel = "NAME=WEIGHT",
      description = "Statement weights, e.g. --mix repo-by-id=50,repo-search=10 (others keep their default unless --only-mix).")
  Map<String, Integer> mix = new LinkedHashMap<>();

  @Option(names = "--only-mix", description = "Run only the statements named in --mix.")
  boolean onlyMix;

  public SampleWorkloadCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    Map<String, Integer> weights = onlyMix ? new LinkedHashMap<>() : new LinkedHashMap<>(Workload.defaultMix());
    weights.putAll(mix);
    Workload.Options options;
    try {
      options = new Workload.Options(statements > 0 ? Duration.ZERO : ConnectionOptions.duration(duration, "--duration"),
          statements, clients, seed, weights);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCode.USAGE, e.getMessage());
    }
    Workload.Result r = run(connection.target(ctx), connection.sessionOptions(), options);
    ctx.out().print(Workload.summary(r));
    return r.errors() == 0 ? ExitCode.OK : ExitCode.WARNING;
  }

  public Workload.Result run(DatabaseTarget target, SessionOptions sessionOptions, Workload.Options options) {
    try {
      return Workload.run(() -> {
        try {
          return Connections.open(target, sessionOptions);
        } catch (DatabaseFailure f) {
          throw new SQLException(f.getMessage(), f);
        }
      }, options);
    } catch (SQLException e) {
      String msg = e.getCause() instanceof DatabaseFailure f ? f.getMessage()
          : "the workload failed against " + target.display() + ": " + SampleLoadCommand.firstLine(e.getMessage())
              + (e.getMessage() != null && e.getMessage().contains("does not exist") ? " (load the dataset first: pgopt sample load)" : "");
      throw new CliFailure(ExitCode.UNKNOWN, msg, e);
    }
  }
}
