package dev.pgopt.cli;

import dev.pgopt.analyze.health.Units;
import dev.pgopt.apply.Applier;
import dev.pgopt.cli.internal.HumanVector;
import dev.pgopt.connect.Connections;
import dev.pgopt.vector.build.IndexBuildPlan;
import dev.pgopt.vector.inspect.DistanceOperator;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import dev.pgopt.vector.VectorJson;
import dev.pgopt.vector.inspect.PgvectorMissingException;
import dev.pgopt.vector.inspect.VectorInventory;
import dev.pgopt.vector.tune.RecallPlot;
import dev.pgopt.vector.tune.RecallSweep;
import dev.pgopt.vector.tune.TuneException;
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
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "vector", mixinStandardHelpOptions = true,
    description = "pgvector: what is there and how it is used (inspect), and measured tuning on your own data (tune).")
public final class VectorCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return ExitCode.USAGE;
  }

  private static void checkFormat(String format) {
    if (!format.equals("human") && !format.equals("json")) {
      throw new CliFailure(ExitCode.USAGE, "--format must be human or json, not '" + format + "'");
    }
  }

  private static <T> T readOnly(Session session, Session.Work<T> work) throws DatabaseFailure {
    return session.readOnly(work);
  }

  @Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Every vector, halfvec, sparsevec and bit column with its size, every HNSW/IVFFlat index with its"
          + " parameters, the statements that search by distance and why their plans do or do not use an ANN index,"
          + " the settings, and known issues of the installed pgvector."},
      footer = {"", "Exit codes: 0 done, 3 cannot connect or pgvector missing, 64 usage error."})
  public static final class Inspect implements Callable<Integer> {
    private final Context ctx;

    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @Option(names = "--format", defaultValue = "human", description = "human (default) or json (docs/vector.md).")
    String format;

    @Option(names = "--width", defaultValue = "120", description = "Truncate statement text (default: ${DEFAULT-VALUE}).")
    int width;

    public Inspect(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      checkFormat(format);
      DatabaseTarget target = connection.target(ctx);
      try (Session session = Session.open(target, connection.sessionOptions())) {
        VectorInventory inv = readOnly(session, c -> {
          try {
            return VectorInventory.read(c, session.serverVersionNum());
          } catch (PgvectorMissingException e) {
            throw new CliFailure(ExitCode.UNKNOWN, e.getMessage());
          }
        });
        ctx.out().print(format.equals("json") ? VectorJson.inspect(inv, target.display(), ctx.clock().instant()) + "\n"
            : HumanVector.inspect(inv, target.display(), width));
        return ExitCode.OK;
      } catch (DatabaseFailure f) {
        throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
      }
    }
  }

  @Command(name = "tune", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Measures recall@k, rows returned, latency and QPS for a sweep of hnsw.ef_search (or ivfflat.probes)"
          + " against exact search on your own data, and recommends the smallest setting that meets the recall target"
          + " without returning fewer rows than asked. With --filter, iterative scan modes are swept too.",
          "Read-only: settings are changed with SET LOCAL inside a transaction that is rolled back."},
      footer = {"", "Exit codes: 0 target met, 1 target not met (the best setting and what to change are printed),"
          + " 3 cannot connect or cannot run, 64 usage error."})
  public static final class Tune implements Callable<Integer> {
    private final Context ctx;

    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @Option(names = "--table", required = true, paramLabel = "[SCHEMA.]TABLE")
    String table;

    @Option(names = "--column", required = true)
    String column;

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

    @Option(names = "--format", defaultValue = "human", description = "human (default) or json (docs/vector.md).")
    String format;

    public Tune(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      checkFormat(format);
      if (sweep.stream().anyMatch(v -> v < 1 || v > 1000)) {
        throw new CliFailure(ExitCode.USAGE, "--sweep values must be between 1 and 1000");
      }
      List<String> vectors = queryFile == null ? List.of() : readVectors(queryFile);
      String schema = table.contains(".") ? table.substring(0, table.indexOf('.')) : "public";
      String name = table.contains(".") ? table.substring(table.indexOf('.') + 1) : table;
      TuneRequest request = new TuneRequest(schema, name, column, k, targetRecall, queries, vectors, filter, sweep, seed);
      DatabaseTarget target = connection.target(ctx);
      try (Session session = Session.open(target, connection.sessionOptions())) {
        TuneResult result = readOnly(session, c -> {
          try {
            return new RecallSweep(c, System::nanoTime).run(request);
          } catch (TuneException | PgvectorMissingException e) {
            throw new CliFailure(e instanceof TuneException ? ExitCode.USAGE : ExitCode.UNKNOWN, e.getMessage());
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


  @Command(name = "build-index", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Builds an HNSW or IVFFlat index CONCURRENTLY, with the session's maintenance_work_mem sized from the"
          + " expected index so the graph is built in memory (a warning when it cannot be), parallel workers, and a"
          + " progress bar from pg_stat_progress_create_index.",
          "A dry run by default; --execute builds it through pgopt apply's machinery: lock timeouts with retries, the"
              + " pgopt.actions audit log, and an INVALID leftover dropped if the build fails."},
      footer = {"", "Exit codes: 0 done (or planned), 3 cannot connect or the build failed, 64 usage error."})
  public static final class BuildIndex implements Callable<Integer> {
    private final Context ctx;

    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @Option(names = "--table", required = true, paramLabel = "[SCHEMA.]TABLE")
    String table;

    @Option(names = "--column", required = true)
    String column;

    @Option(names = "--method", defaultValue = "hnsw", description = "hnsw (default) or ivfflat.")
    String method;

    @Option(names = "--distance", defaultValue = "cosine", description = "cosine (default), l2, ip, l1, hamming or jaccard:"
        + " the operator the queries use (<=>, <->, <#>, <+>, <~>, <%>).")
    String distance;

    @Option(names = "--m", description = "HNSW neighbours per node (pgvector's default 16).")
    Integer m;

    @Option(names = "--ef-construction", description = "HNSW build candidate list (default 64; at least 2·m).")
    Integer efConstruction;

    @Option(names = "--lists", description = "IVFFlat lists (default rows/1000, √rows above 1M rows).")
    Integer lists;

    @Option(names = "--name", description = "Index name (default table_column_method).")
    String name;

    @Option(names = "--max-memory", defaultValue = "1GB", description = "Cap for the session's maintenance_work_mem"
        + " (default: ${DEFAULT-VALUE}).")
    String maxMemory;

    @Option(names = "--workers", defaultValue = "2", description = "max_parallel_maintenance_workers for the build"
        + " (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--execute", description = "Build it (without it, only print the plan).")
    boolean execute;

    @Option(names = "--lock-timeout", defaultValue = "5s", description = "Default: ${DEFAULT-VALUE}.")
    String lockTimeout;

    @Option(names = "--build-timeout", defaultValue = "6h", description = "statement_timeout for the build (default: ${DEFAULT-VALUE}).")
    String buildTimeout;

    public BuildIndex(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      DistanceOperator op = switch (distance) {
        case "cosine" -> DistanceOperator.COSINE;
        case "l2" -> DistanceOperator.L2;
        case "ip" -> DistanceOperator.INNER_PRODUCT;
        case "l1" -> DistanceOperator.L1;
        case "hamming" -> DistanceOperator.HAMMING;
        case "jaccard" -> DistanceOperator.JACCARD;
        default -> throw new CliFailure(ExitCode.USAGE, "--distance must be cosine, l2, ip, l1, hamming or jaccard, not '" + distance + "'");
      };
      long cap;
      try {
        cap = (long) Units.parseBytes(maxMemory);
      } catch (IllegalArgumentException e) {
        throw new CliFailure(ExitCode.USAGE, "--max-memory: " + e.getMessage());
      }
      Duration lock = ConnectionOptions.duration(lockTimeout, "--lock-timeout");
      Duration build = ConnectionOptions.duration(buildTimeout, "--build-timeout");
      String schema = table.contains(".") ? table.substring(0, table.indexOf('.')) : "public";
      String tableName = table.contains(".") ? table.substring(table.indexOf('.') + 1) : table;
      IndexBuildPlan.Request request = new IndexBuildPlan.Request(schema, tableName, column, method, op, m, efConstruction,
          lists, name, cap, workers);
      DatabaseTarget target = connection.target(ctx);
      IndexBuildPlan plan;
      try (Session session = Session.open(target, connection.sessionOptions())) {
        plan = readOnly(session, c -> {
          try {
            return IndexBuildPlan.plan(c, request);
          } catch (TuneException e) {
            throw new CliFailure(ExitCode.USAGE, e.getMessage());
          } catch (PgvectorMissingException e) {
            throw new CliFailure(ExitCode.UNKNOWN, e.getMessage());
          }
        });
      } catch (DatabaseFailure f) {
        throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
      }
      ctx.out().printf("%s index %s on %s.%s (%s), %s rows: expected size %s, maintenance_work_mem %s, %d parallel workers%n",
          plan.method(), plan.indexName(), plan.schema(), plan.table(), plan.column(), Units.count(plan.rows()),
          Units.bytes(plan.expectedBytes()), Units.bytes(plan.maintenanceWorkMemBytes()), plan.workers());
      plan.warnings().forEach(w -> ctx.out().println("  ! " + w));
      ctx.out().println("\n" + plan.sql());
      if (!execute) {
        ctx.out().println("\nDry run: nothing was built. Run again with --execute to build it.");
        return ExitCode.OK;
      }
      boolean terminal = ctx.colour();
      String[] lastPhase = {""};
      Applier.Progress progress = (index, phase, pct) -> {
        if (terminal) {
          int filled = (int) Math.round(pct / 5);
          ctx.err().printf(Locale.ROOT, "\r  [%-20s] %3.0f%% %s   ", "#".repeat(Math.max(0, Math.min(20, filled))), pct, phase);
        } else if (!phase.equals(lastPhase[0])) {
          lastPhase[0] = phase;
          ctx.err().println("  " + index + ": " + phase);
        }
      };
      Applier applier = new Applier(new Applier.Options(lock, build, 3, Duration.ofSeconds(1)), progress,
          d -> Thread.sleep(d.toMillis()));
      long start = System.nanoTime();
      try (Connection c = Connections.open(target, connection.sessionOptions());
          Connection monitor = Connections.open(target, connection.sessionOptions())) {
        Applier.Result r = applier.apply(c, monitor, List.of(plan.asFinding()), Optional.empty()).get(0);
        if (terminal) {
          ctx.err().println();
        }
        if (!r.succeeded()) {
          throw new CliFailure(ExitCode.UNKNOWN, "the build failed: " + r.message());
        }
        long size = dev.pgopt.connect.Sql.one(c, "SELECT pg_relation_size(format('%I.%I', ?::text, ?::text)::regclass)",
            rs -> rs.getLong(1), plan.schema(), plan.indexName());
        ctx.out().printf("%nBuilt %s in %.1f s: %s (expected %s). pgopt.actions id %d.%n", plan.indexName(),
            (System.nanoTime() - start) / 1e9, Units.bytes(size), Units.bytes(plan.expectedBytes()), r.auditId());
        return ExitCode.OK;
      } catch (DatabaseFailure f) {
        throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
      } catch (Applier.ApplyRefused e) {
        throw new CliFailure(ExitCode.UNKNOWN, e.getMessage(), e);
      } catch (SQLException e) {
        throw new CliFailure(ExitCode.UNKNOWN, "the build failed: " + e.getMessage().lines().findFirst().orElse(""), e);
      }
    }
  }
}
