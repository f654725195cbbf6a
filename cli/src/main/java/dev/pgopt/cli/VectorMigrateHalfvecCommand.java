package dev.pgopt.cli;

import dev.pgopt.advise.IndexDefinition;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.apply.Applier;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Quoting;
import dev.pgopt.vector.VectorRequestException;
import dev.pgopt.vector.build.IndexBuildPlan;
import dev.pgopt.vector.inspect.PgvectorMissingException;
import dev.pgopt.vector.inspect.VectorIndex;
import dev.pgopt.vector.migrate.HalfvecMigration;
import dev.pgopt.vector.tune.RecallSweep;
import dev.pgopt.vector.tune.TuneRequest;
import dev.pgopt.vector.tune.TuneResult;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "migrate-halfvec", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Moves a vector(n) column to halfvec(n) online: half the storage for the column and its ANN indexes.",
        "Steps: refuse values outside fp16's range; add <col>_half and a trigger that fills it on every write; backfill in"
            + " committed batches; build each ANN index again CONCURRENTLY; check recall old against new; swap names in"
            + " one short transaction. Every step resumes where an interrupted run stopped. The old column is kept as"
            + " <col>_vector_old until you drop it.",
        "A dry run by default."},
    footer = {"", "Exit codes: 0 done, planned or paused by --max-batches, 1 recall dropped (not swapped), 3 cannot run"
        + " (e.g. values out of range), 64 usage error."})
public final class VectorMigrateHalfvecCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Mixin
  VectorColumnOptions target = new VectorColumnOptions();

  @Option(names = "--batch", defaultValue = "5000", description = "At most this many rows per backfill transaction"
      + " (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--batch-ms", defaultValue = "200", description = "Size batches so each holds its rows' locks about"
      + " this long (default: ${DEFAULT-VALUE}); an indexed table gets smaller batches.")
  int batchMillis;

  @Option(names = "--max-batches", defaultValue = "0", description = "Stop after this many batches, to spread the"
      + " backfill over several runs (default: all).")
  int maxBatches;

  @Option(names = "--max-recall-drop", defaultValue = "0.02", description = "Do not swap if recall@10 at the current"
      + " ef_search drops by more than this (default: ${DEFAULT-VALUE}).")
  double maxRecallDrop;

  @Option(names = "--execute", description = "Carry it out (without it, only print the plan).")
  boolean execute;

  @Mixin
  BackupFirstOptions backup = new BackupFirstOptions();

  public VectorMigrateHalfvecCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    if (batch < 1 || maxBatches < 0 || batchMillis < 1) {
      throw new CliFailure(ExitCode.USAGE, "--batch and --batch-ms must be at least 1 and --max-batches not negative");
    }
    if (execute) {
      backup.validate(ctx);
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
      if (!s.newColumnExists()) { // a resumed migration was backed up when it started
        backup.beforeExecuting(ctx, target, connection.sessionOptions());
      }
      migration.prepare(s);
      s = state(migration, schema, tableName);
      migration.backfill(s, batch, java.time.Duration.ofMillis(batchMillis), maxBatches);
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
      HalfvecMigration.Comparison check = migration.compare(s);
      if (check.differing() > 0) {
        throw new CliFailure(ExitCode.UNKNOWN, "not swapped: " + check.differing() + " of " + check.rows() + " rows of "
            + s.newColumn() + " differ from " + column + " (a write the sync trigger did not see); run the same command "
            + "again to copy them, then it swaps");
      }
      ctx.err().printf("  compared every row: %,d rows, %,d values, none differ%n", check.rows(), check.values());
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
    } catch (VectorRequestException | PgvectorMissingException e) {
      throw VectorCommand.failure(e);
    }
  }

  private void printPlan(HalfvecMigration.State s, int n) {
    String t = s.column().schema() + "." + s.column().table();
    ctx.out().printf("Migrate %s.%s from vector(%d) to halfvec(%d): %s rows%s%n", t, target.column(), n, n, Units.count(s.column().rows()),
        s.newColumnExists() ? String.format(", resuming (%,d rows still to backfill)", Math.max(0, s.remaining())) : "");
    ctx.out().println("  1. values checked against fp16's range: all fit");
    ctx.out().println("  2. ALTER TABLE " + t + " ADD COLUMN " + s.newColumn() + " halfvec(" + n + "); trigger "
        + HalfvecMigration.triggerName(s.column().table(), s.column().column()) + " fills it on every insert and update");
    ctx.out().println("  3. backfill in batches of at most " + batch + " rows by " + s.primaryKey() + ", each committed,"
        + " sized to take about " + batchMillis + " ms");
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
        (index, phase, pct) -> { }, d -> Thread.sleep(d.toMillis()))
        .reconnectingWith(() -> Connections.open(connection.target(ctx), connection.sessionOptions()));
    for (VectorIndex old : s.oldIndexes()) {
      String name = old.name() + "_half";
      java.util.Optional<VectorIndex> existing = s.newIndexes().stream().filter(i -> i.name().equals(name)).findFirst();
      if (existing.isPresent() && existing.get().valid()) {
        renames.add(new String[] {old.name(), name});
        continue;
      }
      if (existing.isPresent()) {
        try (java.sql.Statement st = c.createStatement()) {
          st.execute(IndexDefinition.dropIfExists(old.schema(), name));
        }
      }
      IndexBuildPlan plan;
      try {
        plan = IndexBuildPlan.plan(c, new IndexBuildPlan.Request(old.schema(), old.table(), s.newColumn(), old.method(),
            old.serves(), old.hnsw() ? old.m() : null, old.hnsw() ? old.efConstruction() : null,
            old.hnsw() ? null : old.lists(), name, 1L << 30, 2));
      } catch (VectorRequestException | PgvectorMissingException e) {
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
      } catch (VectorRequestException | PgvectorMissingException e) {
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
