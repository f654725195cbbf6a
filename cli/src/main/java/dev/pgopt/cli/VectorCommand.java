package dev.pgopt.cli;

import dev.pgopt.analyze.health.Units;
import dev.pgopt.advise.whatif.Quoting;
import dev.pgopt.apply.Applier;
import dev.pgopt.cli.internal.HumanVector;
import dev.pgopt.connect.Connections;
import dev.pgopt.vector.build.IndexBuildPlan;
import dev.pgopt.vector.inspect.VectorIndex;
import dev.pgopt.vector.migrate.HalfvecMigration;
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
      if (!build.isEmpty()) {
        return compareBuilds(vectors);
      }
      TuneRequest request = new TuneRequest(this.target.schema(), this.target.tableName(), this.target.column(), k,
          targetRecall, queries, vectors, filter, sweep, seed);
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
      } catch (TuneException e) {
        throw new CliFailure(ExitCode.USAGE, e.getMessage());
      } catch (PgvectorMissingException e) {
        throw new CliFailure(ExitCode.UNKNOWN, e.getMessage());
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

    @Mixin
    VectorColumnOptions target = new VectorColumnOptions();

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
      IndexBuildPlan.Request request = new IndexBuildPlan.Request(this.target.schema(), this.target.tableName(),
          this.target.column(), method, op, m, efConstruction, lists, name, cap, workers);
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

  @Command(name = "migrate-halfvec", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Moves a vector(n) column to halfvec(n) online: half the storage for the column and its ANN indexes.",
          "Steps: refuse values outside fp16's range; add <col>_half and a trigger that fills it on every write; backfill in"
              + " committed batches; build each ANN index again CONCURRENTLY; check recall old against new; swap names in"
              + " one short transaction. Every step resumes where an interrupted run stopped. The old column is kept as"
              + " <col>_vector_old until you drop it.",
          "A dry run by default."},
      footer = {"", "Exit codes: 0 done, planned or paused by --max-batches, 1 recall dropped (not swapped), 3 cannot run"
          + " (e.g. values out of range), 64 usage error."})
  public static final class MigrateHalfvec implements Callable<Integer> {
    private final Context ctx;

    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @Mixin
    VectorColumnOptions target = new VectorColumnOptions();

    @Option(names = "--batch", defaultValue = "5000", description = "Rows per backfill transaction (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--max-batches", defaultValue = "0", description = "Stop after this many batches, to spread the"
        + " backfill over several runs (default: all).")
    int maxBatches;

    @Option(names = "--max-recall-drop", defaultValue = "0.02", description = "Do not swap if recall@10 at the current"
        + " ef_search drops by more than this (default: ${DEFAULT-VALUE}).")
    double maxRecallDrop;

    @Option(names = "--execute", description = "Carry it out (without it, only print the plan).")
    boolean execute;

    public MigrateHalfvec(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      if (batch < 1 || maxBatches < 0) {
        throw new CliFailure(ExitCode.USAGE, "--batch must be at least 1 and --max-batches not negative");
      }
      String schema = this.target.schema();
      String tableName = this.target.tableName();
      String column = this.target.column();
      DatabaseTarget target = connection.target(ctx);
      try (Connection c = Connections.open(target, connection.sessionOptions())) {
        HalfvecMigration migration = new HalfvecMigration(c, ctx.err()::println);
        HalfvecMigration.State s = state(migration, schema, tableName);
        if (s.swapped()) {
          ctx.out().println(schema + "." + tableName + "." + column + " is already halfvec; the old column is kept as "
              + column + "_vector_old. When satisfied: ALTER TABLE " + schema + "." + tableName + " DROP COLUMN "
              + column + "_vector_old;");
          return ExitCode.OK;
        }
        long bad = migration.outOfRange(s);
        if (bad > 0) {
          throw new CliFailure(ExitCode.UNKNOWN, bad + " rows of " + schema + "." + tableName + "." + column + " hold values"
              + " outside halfvec's range (±65,504): the cast would fail for them. Nothing was changed; normalize the vectors"
              + " (embeddings usually are) or keep vector.");
        }
        int n = s.column().dimensions();
        printPlan(s, n);
        if (!execute) {
          ctx.out().println("\nDry run: nothing was changed. Run again with --execute to migrate.");
          return ExitCode.OK;
        }
        migration.prepare(s);
        s = state(migration, schema, tableName);
        migration.backfill(s, batch, maxBatches);
        s = state(migration, schema, tableName);
        if (s.remaining() > 0) {
          ctx.out().printf("%nPaused after %d batches: %,d rows still to backfill (new writes are kept in step by the"
              + " trigger). Run the same command again to continue.%n", maxBatches, s.remaining());
          return ExitCode.OK;
        }
        List<String[]> renames = buildIndexes(c, s);
        s = state(migration, schema, tableName);
        Integer verdict = verifyRecall(c, s, renames);
        if (verdict != null) {
          return verdict;
        }
        long[] sizes = sizes(c, s, renames);
        migration.swap(s, renames);
        ctx.out().printf("%nSwapped: %s.%s.%s is halfvec(%d). Column %s -> %s, ANN indexes %s -> %s.%n", schema, tableName,
            column, n, Units.bytes(sizes[0]), Units.bytes(sizes[1]), Units.bytes(sizes[2]), Units.bytes(sizes[3]));
        ctx.out().println("Queries must now pass halfvec parameters (e.g. ORDER BY " + column + " <=> $1::halfvec(" + n
            + ")); text literals ('[0.1,...]') work unchanged. The old column is kept as " + column + "_vector_old"
            + " (its indexes too): ALTER TABLE " + schema + "." + tableName + " DROP COLUMN " + column + "_vector_old;"
            + " when satisfied.");
        return ExitCode.OK;
      } catch (DatabaseFailure f) {
        throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
      } catch (SQLException e) {
        throw new CliFailure(ExitCode.UNKNOWN, "migration step failed (run again to resume): "
            + e.getMessage().lines().findFirst().orElse(""), e);
      }
    }

    private HalfvecMigration.State state(HalfvecMigration m, String schema, String tableName) throws SQLException {
      try {
        return m.state(schema, tableName, target.column());
      } catch (TuneException e) {
        throw new CliFailure(ExitCode.USAGE, e.getMessage());
      } catch (PgvectorMissingException e) {
        throw new CliFailure(ExitCode.UNKNOWN, e.getMessage());
      }
    }

    private void printPlan(HalfvecMigration.State s, int n) {
      String t = s.column().schema() + "." + s.column().table();
      ctx.out().printf("Migrate %s.%s from vector(%d) to halfvec(%d): %s rows%s%n", t, target.column(), n, n, Units.count(s.column().rows()),
          s.newColumnExists() ? String.format(", resuming (%,d rows still to backfill)", Math.max(0, s.remaining())) : "");
      ctx.out().println("  1. values checked against fp16's range: all fit");
      ctx.out().println("  2. ALTER TABLE " + t + " ADD COLUMN " + s.newColumn() + " halfvec(" + n + "); trigger "
          + HalfvecMigration.triggerName(s.column().table()) + " fills it on every insert and update");
      ctx.out().println("  3. backfill in batches of " + batch + " rows by " + s.primaryKey() + ", each committed");
      for (VectorIndex i : s.oldIndexes()) {
        ctx.out().println("  4. CREATE INDEX CONCURRENTLY " + i.name() + "_half ON " + t + " USING " + i.method() + " ("
            + s.newColumn() + " " + i.opclass().replace("vector_", "halfvec_") + ") -- then compare recall with " + i.name());
      }
      ctx.out().println("  5. one transaction (lock_timeout 5s): rename " + target.column() + " -> " + target.column() + "_vector_old, "
          + s.newColumn() + " -> " + target.column() + ", and the indexes likewise");
      ctx.out().println("  Alternative without touching the column: an expression index on (" + target.column() + "::halfvec(" + n
          + ")), queried as ORDER BY " + target.column() + "::halfvec(" + n + ") <=> $1::halfvec(" + n + ") (pgopt advise shows it).");
    }

    private List<String[]> buildIndexes(Connection c, HalfvecMigration.State s) throws SQLException {
      List<String[]> renames = new ArrayList<>();
      Applier applier = new Applier(new Applier.Options(Duration.ofSeconds(5), Duration.ofHours(6), 3, Duration.ofSeconds(1)),
          (index, phase, pct) -> { }, d -> Thread.sleep(d.toMillis()));
      for (VectorIndex old : s.oldIndexes()) {
        String name = old.name() + "_half";
        java.util.Optional<VectorIndex> existing = s.newIndexes().stream().filter(i -> i.name().equals(name)).findFirst();
        if (existing.isPresent() && existing.get().valid()) {
          renames.add(new String[] {old.name(), name});
          continue;
        }
        if (existing.isPresent()) {
          try (java.sql.Statement st = c.createStatement()) {
            st.execute("DROP INDEX CONCURRENTLY IF EXISTS " + old.schema() + "." + name);
          }
        }
        IndexBuildPlan plan;
        try {
          plan = IndexBuildPlan.plan(c, new IndexBuildPlan.Request(old.schema(), old.table(), s.newColumn(), old.method(),
              old.serves(), old.hnsw() ? old.m() : null, old.hnsw() ? old.efConstruction() : null,
              old.hnsw() ? null : old.lists(), name, 1L << 30, 2));
        } catch (TuneException | PgvectorMissingException e) {
          throw new CliFailure(ExitCode.UNKNOWN, "cannot plan the index on " + s.newColumn() + ": " + e.getMessage());
        }
        ctx.err().println("  building " + name + " (" + Units.bytes(plan.expectedBytes()) + " expected)...");
        try {
          Applier.Result r = applier.apply(c, null, List.of(plan.asFinding()), Optional.empty()).get(0);
          if (!r.succeeded()) {
            throw new CliFailure(ExitCode.UNKNOWN, "building " + name + " failed (run again to resume): " + r.message());
          }
        } catch (Applier.ApplyRefused e) {
          throw new CliFailure(ExitCode.UNKNOWN, e.getMessage(), e);
        }
        renames.add(new String[] {old.name(), name});
      }
      return renames;
    }

    /** Compares recall@10 of the old and the new HNSW index at the current ef_search; null when fine. */
    private Integer verifyRecall(Connection c, HalfvecMigration.State s, List<String[]> renames) throws SQLException {
      if (s.oldIndexes().isEmpty()) {
        return null;
      }
      double[] recall = new double[2];
      String[] columns = {target.column(), s.newColumn()};
      for (int i = 0; i < 2; i++) {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
          TuneResult r = new RecallSweep(c, System::nanoTime).run(new TuneRequest(s.column().schema(), s.column().table(),
              columns[i], 10, 0.5, 100, List.of(), null, List.of(s.oldIndexes().get(0).hnsw() ? 40 : 1), 42));
          recall[i] = r.points().get(0).recall();
        } catch (TuneException | PgvectorMissingException e) {
          throw new CliFailure(ExitCode.UNKNOWN, "cannot measure recall: " + e.getMessage());
        } finally {
          c.rollback();
          c.setAutoCommit(auto);
        }
      }
      ctx.out().printf("%nRecall@10 on 100 held-out rows: vector %.3f, halfvec %.3f%n", recall[0], recall[1]);
      if (recall[1] < recall[0] - maxRecallDrop) {
        ctx.out().println("Recall dropped by more than " + maxRecallDrop + ": not swapped. The new column and its indexes"
            + " stay in place (kept in step by the trigger); inspect, then run again with a larger --max-recall-drop, or"
            + " drop " + s.newColumn() + ".");
        return ExitCode.WARNING;
      }
      return null;
    }

    /** Column bytes old/new and ANN index bytes old/new. */
    private long[] sizes(Connection c, HalfvecMigration.State s, List<String[]> renames) throws SQLException {
      long[] out = new long[4];
      String q = "SELECT coalesce(sum(pg_column_size(" + Quoting.ident(target.column()) + ")), 0), coalesce(sum(pg_column_size("
          + Quoting.ident(s.newColumn()) + ")), 0) FROM " + Quoting.ident(s.column().schema()) + "."
          + Quoting.ident(s.column().table());
      dev.pgopt.connect.Sql.one(c, q, rs -> {
        out[0] = rs.getLong(1);
        out[1] = rs.getLong(2);
        return null;
      });
      for (String[] r : renames) {
        out[2] += dev.pgopt.connect.Sql.one(c, "SELECT pg_relation_size(format('%I.%I', ?::text, ?::text)::regclass)",
            rs -> rs.getLong(1), s.column().schema(), r[0]);
        out[3] += dev.pgopt.connect.Sql.one(c, "SELECT pg_relation_size(format('%I.%I', ?::text, ?::text)::regclass)",
            rs -> rs.getLong(1), s.column().schema(), r[1]);
      }
      return out;
    }
  }
}
