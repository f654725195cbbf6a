package dev.pgopt.cli;

import dev.pgopt.analyze.health.Units;
import dev.pgopt.cli.internal.HumanVector;
import dev.pgopt.connect.Connections;
import java.sql.Connection;
import java.sql.SQLException;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import dev.pgopt.vector.VectorJson;
import dev.pgopt.vector.inspect.PgvectorMissingException;
import dev.pgopt.vector.tune.RecallPlot;
import dev.pgopt.vector.tune.RecallSweep;
import dev.pgopt.vector.VectorRequestException;
import dev.pgopt.vector.tune.TuneRequest;
import dev.pgopt.vector.tune.TuneResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "tune", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Measures recall@k, rows returned, latency and QPS for a sweep of hnsw.ef_search (or ivfflat.probes)"
        + " against exact search on your own data, and recommends the smallest setting that meets the recall target"
        + " without returning fewer rows than asked. With --filter, iterative scan modes are swept too.",
        "Read-only: settings are changed with SET LOCAL inside a transaction that is rolled back."},
    footer = {"", "Exit codes: 0 target met, 1 target not met (the best setting and what to change are printed),"
        + " 3 cannot connect or cannot run, 64 usage error."})
public final class VectorTuneCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Mixin
  VectorColumnOptions target = new VectorColumnOptions();

  @Option(names = "--target-recall", defaultValue = "0.95", description = "Default: ${DEFAULT-VALUE}.")
  double targetRecall;

  @Option(names = "--k", defaultValue = "10", description = "Neighbours per query (default: ${DEFAULT-VALUE}).")
  int k;

  @Option(names = "--queries", defaultValue = "100", description = "Rows sampled as queries, held out of their own"
      + " results (default: ${DEFAULT-VALUE}).")
  int queries;

  @Option(names = "--query-file", paramLabel = "FILE", description = "Query vectors instead, one per line: [0.1,0.2,...]")
  Path queryFile;

  @Option(names = "--filter", paramLabel = "PREDICATE", description = "Tune filtered search, e.g. \"category = 3\".")
  String filter;

  @Option(names = "--sweep", split = ",", paramLabel = "N,N,...", description = "Values of ef_search/probes to measure"
      + " (default 10..400 for HNSW, 1..64 for IVFFlat).")
  List<Integer> sweep = new ArrayList<>();

  @Option(names = "--seed", defaultValue = "42", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--plot", paramLabel = "FILE.png", description = "Also draw the recall/QPS curve.")
  Path plot;

  @Option(names = "--build", split = ",", paramLabel = "M:EF_CONSTRUCTION", description = "Instead, compare HNSW build"
      + " parameters on a sample: build time, size and recall per candidate, e.g. --build 16:64,16:128,32:128."
      + " Needs CREATE on schema public (a private unlogged table, dropped afterwards).")
  List<String> build = new ArrayList<>();

  @Option(names = "--build-sample", defaultValue = "20000", description = "Rows sampled for --build (default: ${DEFAULT-VALUE}).")
  int buildSample;

  @Option(names = "--format", defaultValue = "human", description = "human (default) or json (docs/vector.md).")
  String format;

  public VectorTuneCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    OutputFormat.check(format);
    if (sweep.stream().anyMatch(v -> v < 1 || v > 1000)) {
      throw new CliFailure(ExitCode.USAGE, "--sweep values must be between 1 and 1000");
    }
    List<String> vectors = queryFile == null ? List.of() : readVectors(queryFile);
    if (!build.isEmpty()) {
      return compareBuilds(vectors);
    }
    TuneRequest request = new TuneRequest(this.target.schema(), this.target.tableName(), this.target.column(), k,
        targetRecall, queries, vectors, filter, sweep, seed);
    DatabaseTarget target = connection.target(ctx);
    try (Session session = Session.open(target, connection.sessionOptions())) {
      TuneResult result = session.readOnly(c -> {
        try {
          return new RecallSweep(c, System::nanoTime).run(request);
        } catch (VectorRequestException | PgvectorMissingException e) {
          throw VectorCommand.failure(e);
        }
      });
      if (plot != null) {
        try {
          RecallPlot.write(result, plot);
        } catch (IOException e) {
          throw new CliFailure(ExitCode.UNKNOWN, "cannot write the plot to " + plot + ": " + e.getMessage(), e);
        }
      }
      ctx.out().print(format.equals("json") ? VectorJson.tune(result, target.display(), ctx.clock().instant()) + "\n"
          : HumanVector.tune(result, target.display()));
      if (plot != null && format.equals("human")) {
        ctx.out().println("Plot: " + plot);
      }
      return result.targetMet() ? ExitCode.OK : ExitCode.WARNING;
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
  }

  private int compareBuilds(List<String> vectors) {
    List<int[]> candidates = new ArrayList<>();
    for (String b : build) {
      String[] p = b.split(":");
      try {
        candidates.add(new int[] {Integer.parseInt(p[0].strip()), Integer.parseInt(p[1].strip())});
      } catch (RuntimeException e) {
        throw new CliFailure(ExitCode.USAGE, "--build takes m:ef_construction pairs like 16:64, not '" + b + "'");
      }
    }
    TuneRequest request = new TuneRequest(this.target.schema(), this.target.tableName(), this.target.column(), k,
        targetRecall, queries, vectors, filter, sweep, seed);
    DatabaseTarget target = connection.target(ctx);
    try (Connection c = Connections.open(target, connection.sessionOptions())) {
      List<dev.pgopt.vector.tune.BuildComparison.Candidate> result =
          new dev.pgopt.vector.tune.BuildComparison(c, System::nanoTime, ctx.err()::println)
              .run(request, candidates, buildSample, 1L << 30);
      ctx.out().printf("HNSW build candidates on %,d sampled rows of %s.%s (k = %d, target recall %.3f)%n%n", buildSample,
          request.table(), request.column(), k, targetRecall);
      ctx.out().printf("  %-6s %-16s %10s %10s %18s %12s %12s%n", "m", "ef_construction", "build s", "size",
          "smallest ef_search", "its recall", "its QPS");
      for (dev.pgopt.vector.tune.BuildComparison.Candidate cand : result) {
        SweepPointView v = SweepPointView.of(cand.sweep());
        ctx.out().printf("  %-6d %-16d %10.2f %10s %18s %12s %12s%n", cand.m(), cand.efConstruction(), cand.buildSeconds(),
            Units.bytes(cand.sizeBytes()), v.setting, v.recall, v.qps);
      }
      ctx.out().println("\nRecall on a sample runs higher than on the whole table: compare the rows with each other.");
      return ExitCode.OK;
    } catch (VectorRequestException | PgvectorMissingException e) {
      throw VectorCommand.failure(e);
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    } catch (SQLException e) {
      throw new CliFailure(ExitCode.UNKNOWN, "--build failed: " + e.getMessage().lines().findFirst().orElse(""), e);
    }
  }

  /** The recommended point of a candidate's sweep, as table cells. */
  private record SweepPointView(String setting, String recall, String qps) {
    static SweepPointView of(TuneResult r) {
      if (r.recommended() == null) {
        return new SweepPointView("not met", String.format("best %.3f", r.best().recall()), "");
      }
      return new SweepPointView(Integer.toString(r.recommended().value()), String.format("%.3f", r.recommended().recall()),
          String.format("%.0f", r.recommended().qps()));
    }
  }

  private static List<String> readVectors(Path file) {
    try {
      List<String> out = new ArrayList<>();
      for (String line : Files.readAllLines(file)) {
        String v = line.strip();
        if (v.isEmpty() || v.startsWith("#")) {
          continue;
        }
        if (!v.startsWith("[") || !v.endsWith("]")) {
          throw new CliFailure(ExitCode.USAGE, "--query-file " + file + ": line " + (out.size() + 1)
              + " is not a vector like [0.1,0.2,...]");
        }
        out.add(v);
      }
      if (out.isEmpty()) {
        throw new CliFailure(ExitCode.USAGE, "--query-file " + file + " holds no vectors");
      }
      return out;
    } catch (NoSuchFileException e) {
      throw new CliFailure(ExitCode.USAGE, "--query-file: no such file " + file);
    } catch (IOException e) {
      throw new CliFailure(ExitCode.USAGE, "--query-file: " + e.getMessage());
    }
  }
}
