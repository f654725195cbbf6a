package dev.pgopt.cli;

import dev.pgopt.advise.Advisor;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.whatif.CandidateGenerator;
import dev.pgopt.advise.whatif.IndexBudget;
import dev.pgopt.advise.whatif.IndexCandidate;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.apply.Applier;
import dev.pgopt.collect.PlanCollector;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.collect.StatementStatisticsUnavailable;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.connect.Sql;
import dev.pgopt.sample.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The advisor's evaluation on the sample dataset: whole-workload plan cost, real throughput, index count and size,
 * and write slowdown, with no indexes added, with pgopt's, and with the naive "index every filtered column". It
 * changes the database (builds and drops indexes): run it on a copy.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Evaluate pgopt advise on a database holding the sample dataset: plan cost of the workload, real "
        + "throughput, index count and size, and write slowdown with no advice, with pgopt's indexes, and with an index on "
        + "every filtered column. It builds and drops indexes: run it on a copy (CREATE DATABASE x TEMPLATE pgopt_demo)."})
public final class SampleEvaluateCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Option(names = "--duration", defaultValue = "20s", description = "Length of each workload run (default: ${DEFAULT-VALUE}).")
  String duration;

  @Option(names = "--clients", defaultValue = "4", description = "Workload clients (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--report", paramLabel = "FILE", description = "Also write the results as Markdown to FILE.")
  Path report;

  public SampleEvaluateCommand(Context ctx) {
    this.ctx = ctx;
  }

  private List<StatementEntry> recorded = List.of();

  /** Figures of one configuration. */
  record Figures(String name, int indexes, long indexBytes, double planCost, Workload.Result reads, Workload.Result writes) {}

  @Override
  public Integer call() throws Exception {
    DatabaseTarget target = connection.target(ctx);
    SessionOptions options = connection.sessionOptions();
    Duration d = ConnectionOptions.duration(duration, "--duration");
    SampleWorkloadCommand workload = new SampleWorkloadCommand(ctx);
    Map<String, Integer> reads = new LinkedHashMap<>(Workload.defaultMix());
    Map<String, Integer> writes = new LinkedHashMap<>();
    for (String w : List.of("insert-message", "insert-token-usage", "insert-event", "star-repository", "claim-opportunity")) {
      writes.put(w, reads.remove(w));
    }
    say("warming up and recording the workload (" + duration + ")");
    workload.run(target, options, new Workload.Options(d, 0, clients, 7, Workload.defaultMix()));
    // the statements and call counts every configuration is costed with, so plan costs compare
    List<StatementEntry> recorded;
    try (Session s = Session.open(target, options)) {
      recorded = top(s.readOnly(c -> read(c, s.serverVersionNum())));
    }
    this.recorded = recorded;
    List<Figures> figures = new ArrayList<>();
    figures.add(measure("no advice", target, options, workload, d, reads, writes, List.of()));

    say("pgopt advise --rules index.missing");
    List<Finding> advised;
    Optional<StatementSnapshot> snapshot;
    try (Session s = Session.open(target, options)) {
      advised = new Advisor(Advisor.standardRules(10, IndexBudget.DEFAULT), ctx.clock())
          .run(s, Map.of(), Map.of(), id -> id.equals("index.missing")).findings();
      snapshot = s.readOnly(c -> {
        try {
          return Optional.of(StatementCollector.read(c, s.serverVersionNum(), ctx.clock()));
        } catch (StatementStatisticsUnavailable e) {
          return Optional.empty();
        }
      });
    }
    List<String> pgoptIndexes = new ArrayList<>();
    try (Connection c = Connections.open(target, options)) {
      new Applier(Applier.Options.defaults(), Applier.Progress.NONE, x -> Thread.sleep(x.toMillis())).apply(c, null, advised, snapshot);
      advised.forEach(f -> pgoptIndexes.add(f.object().schema() + "." + f.object().index()));
    }
    figures.add(measure("pgopt advise (" + advised.size() + " indexes)", target, options, workload, d, reads, writes, pgoptIndexes));
    drop(target, options, pgoptIndexes);

    say("naive: an index on every filtered column");
    List<String> naive = naiveIndexes(target, options);
    figures.add(measure("every filtered column (" + naive.size() + " indexes)", target, options, workload, d, reads, writes, naive));
    drop(target, options, naive);

    String markdown = markdown(figures, d);
    ctx.out().println();
    ctx.out().print(markdown);
    if (report != null) {
      try {
        Files.writeString(report, markdown);
      } catch (IOException e) {
        throw new CliFailure(ExitCode.UNKNOWN, "cannot write " + report + ": " + e.getMessage(), e);
      }
    }
    return ExitCode.OK;
  }

  private Figures measure(String name, DatabaseTarget target, SessionOptions options, SampleWorkloadCommand workload, Duration d,
      Map<String, Integer> reads, Map<String, Integer> writes, List<String> indexes) throws Exception {
    say("measuring: " + name);
    long bytes = 0;
    double cost;
    try (Session s = Session.open(target, options)) {
      for (String ix : indexes) {
        bytes += s.readOnly(c -> Sql.one(c, "SELECT pg_relation_size(to_regclass(?))", rs -> rs.getLong(1), ix));
      }
      cost = s.readOnly(c -> workloadCost(c, s.serverVersionNum()));
    }
    Workload.Result r = workload.run(target, options, new Workload.Options(d, 0, clients, 11, reads));
    Workload.Result w = workload.run(target, options, new Workload.Options(d, 0, clients, 13, writes));
    return new Figures(name, indexes.size(), bytes, cost, r, w);
  }

  private StatementSnapshot read(Connection c, int version) throws SQLException {
    try {
      return StatementCollector.read(c, version, ctx.clock());
    } catch (StatementStatisticsUnavailable e) {
      throw new CliFailure(ExitCode.UNKNOWN, e.getMessage());
    }
  }

  /**
   * Σ calls × generic plan cost over the 50 costliest statements of the recorded workload, with the indexes there are
   * now: what the planner thinks the same workload costs.
   */
  private double workloadCost(Connection c, int version) throws SQLException {
    PlanGuard guard = PlanGuard.strict();
    double total = 0;
    for (StatementEntry e : recorded) {
      PlanCollector.Attempt a = PlanCollector.attempt(c, guard, e.query(), version, false);
      if (a.planned()) {
        total += e.counters().calls() * a.plan().root().totalCost();
      }
    }
    return total;
  }

  private static List<StatementEntry> top(StatementSnapshot snap) {
    return snap.entries().stream().filter(e -> PlanCollector.plannable(e.query())).sorted(Comparator.comparingDouble((StatementEntry e) -> e.counters().totalExecMs()).reversed()).limit(50).toList();
  }

  /** Builds a single-column index on every column the costliest statements filter on, as a naive tuner would. */
  private List<String> naiveIndexes(DatabaseTarget target, SessionOptions options) throws Exception {
    Map<String, IndexCandidate> columns = new LinkedHashMap<>();
    PlanGuard guard = PlanGuard.strict();
    try (Session s = Session.open(target, options)) {
      s.readOnly(c -> {
        for (StatementEntry e : recorded) {
          PlanCollector.Attempt a = PlanCollector.attempt(c, guard, e.query(), s.serverVersionNum(), true);
          if (!a.planned()) {
            continue;
          }
          for (IndexCandidate cand : CandidateGenerator.from(a.plan().root(), a.plan().tables())) {
            if (cand.columns().size() == 1) {
              // one plain B-tree per column, whatever kinds of candidate (BRIN, INCLUDE, partial) name it
              IndexCandidate plain = new IndexCandidate(cand.schema(), cand.table(), cand.columns(), List.of(false));
              columns.putIfAbsent(plain.key(), plain);
            }
          }
        }
        return null;
      });
    }
    List<String> names = new ArrayList<>();
    try (Connection c = Connections.open(target, options); Statement s = c.createStatement()) {
      for (IndexCandidate cand : columns.values()) {
        s.execute(cand.definition(true).create(false));
        names.add(cand.schema() + "." + cand.indexName());
      }
      s.execute("ANALYZE");
    }
    return names;
  }

  private static void drop(DatabaseTarget target, SessionOptions options, List<String> indexes) throws SQLException, DatabaseFailure {
    try (Connection c = Connections.open(target, options); Statement s = c.createStatement()) {
      for (String ix : indexes) {
        s.execute("DROP INDEX IF EXISTS " + ix);
      }
    }
  }

  private String markdown(List<Figures> figures, Duration d) {
    Figures base = figures.get(0);
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "| configuration | indexes added | their size | workload plan cost | vs none | read throughput | vs none | write mean latency | vs none |%n"));
    sb.append("|---|---|---|---|---|---|---|---|---|\n");
    for (Figures f : figures) {
      double writeMean = mean(f.writes());
      sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %,.0f | %.2f× | %,.0f/s | %.2f× | %.2f ms | %.2f× |%n", f.name(),
          f.indexes(), Units.bytes(f.indexBytes()), f.planCost(), f.planCost() / base.planCost(), f.reads().perSecond(),
          f.reads().perSecond() / base.reads().perSecond(), writeMean, writeMean / mean(base.writes())));
    }
    sb.append(String.format(Locale.ROOT, "%nEach run: %s, %d clients; reads are the sample workload without its writes, "
        + "writes are its insert/update statements alone.%n", Units.seconds(d.toSeconds()), clients));
    return sb.toString();
  }

  private static double mean(Workload.Result r) {
    double total = 0;
    long n = 0;
    for (Workload.StatementStats s : r.byStatement().values()) {
      total += s.meanMillis() * s.count();
      n += s.count();
    }
    return n == 0 ? 0 : total / n;
  }

  private void say(String s) {
    ctx.err().println("evaluate: " + s);
  }
}
