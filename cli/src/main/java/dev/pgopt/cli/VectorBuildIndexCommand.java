package dev.pgopt.cli;

import dev.pgopt.analyze.health.Units;
import dev.pgopt.apply.Applier;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Quantities;
import dev.pgopt.connect.Session;
import dev.pgopt.vector.VectorRequestException;
import dev.pgopt.vector.build.IndexBuildPlan;
import dev.pgopt.vector.inspect.DistanceOperator;
import dev.pgopt.vector.inspect.PgvectorMissingException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "build-index", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Builds an HNSW or IVFFlat index CONCURRENTLY, with the session's maintenance_work_mem sized from the"
        + " expected index so the graph is built in memory (a warning when it cannot be), parallel workers, and a"
        + " progress bar from pg_stat_progress_create_index.",
        "A dry run by default; --execute builds it through pgopt apply's machinery: lock timeouts with retries, the"
            + " pgopt.actions audit log, and an INVALID leftover dropped if the build fails."},
    footer = {"", "Exit codes: 0 done (or planned), 3 cannot connect or the build failed, 64 usage error."})
public final class VectorBuildIndexCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Mixin
  VectorColumnOptions target = new VectorColumnOptions();

  @Option(names = "--method", defaultValue = "hnsw", description = "hnsw (default) or ivfflat.")
  String method;

  @Option(names = "--distance", defaultValue = "cosine", description = "cosine (default), l2, ip, l1, hamming or jaccard:"
      + " the operator the queries use (<=>, <->, <#>, <+>, <~>, <%%>).")
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

  public VectorBuildIndexCommand(Context ctx) {
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
      cap = (long) Quantities.parseBytes(maxMemory);
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
      plan = session.readOnly(c -> {
        try {
          return IndexBuildPlan.plan(c, request);
        } catch (VectorRequestException | PgvectorMissingException e) {
          throw VectorCommand.failure(e);
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
        d -> Thread.sleep(d.toMillis())).reconnectingWith(() -> Connections.open(target, connection.sessionOptions()));
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
