package dev.pgopt.cli;

import dev.pgopt.advise.Advisor;
import dev.pgopt.advise.FindingsJson;
import dev.pgopt.advise.Rule;
import dev.pgopt.advise.prove.IndexProof;
import dev.pgopt.advise.prove.SlowGenericPlans;
import dev.pgopt.advise.rules.IndexMissingRule;
import dev.pgopt.advise.rules.security.TenantIsolationRules;
import dev.pgopt.advise.whatif.IndexBudget;
import dev.pgopt.cli.internal.HumanFindings;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.InvalidTargetException;
import dev.pgopt.connect.Quantities;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.Sql;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "advise", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Findings with evidence, each with the SQL that acts on it and its undo: unused, duplicate, redundant "
        + "and invalid indexes, foreign keys without an index, tables to vacuum or analyze (and what blocks cleanup), "
        + "wraparound, sequences, connections, settings, and plan insights of the costliest statements.",
        "Reads only. Rule ids are stable: index.missing, index.unused, index.duplicate, index.redundant, index.invalid, "
            + "index.bloat, index.fk_missing, table.vacuum, table.analyze, table.bloat, xid.wraparound, sequence.exhaustion, "
            + "connection.*, config.*, query.*."},
    footer = {"", "Exit codes: 0 done, 3 cannot connect or run, 64 usage error. Findings format: docs/advise-findings.md."})
public final class AdviseCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Mixin
  PlanningOptions planning = new PlanningOptions();

  @Option(names = "--rules", split = ",", paramLabel = "PATTERN",
      description = "Only these rules, e.g. --rules 'index.*,table.vacuum' (default: all but security.*, which run when named"
          + " here or with pgopt check --security).")
  List<String> rules = new ArrayList<>();

  @Option(names = "--top", defaultValue = "10", description = "How many of the costliest statements query.* plans (default: ${DEFAULT-VALUE}).")
  int top = 10;

  @Option(names = "--budget", paramLabel = "SIZE|PCT", description = "Storage index.missing may propose: a size (2GB) or a "
      + "share of the database (10%%); default 20%%.")
  String budget;

  @Option(names = "--replica", paramLabel = "URL", description = "A replica whose index usage counts too (repeatable): "
      + "replicas keep their own idx_scan counters.")
  List<String> replicas = new ArrayList<>();

  @Option(names = "--memory", paramLabel = "SIZE", description = "The server's memory, e.g. 16GB, for shared_buffers and effective_cache_size advice.")
  String memory;

  @Option(names = "--storage", paramLabel = "ssd|hdd", description = "The server's storage, for random_page_cost advice.")
  String storage;

  @picocli.CommandLine.Mixin
  PriceOptions prices = new PriceOptions();

  @Option(names = "--sort", defaultValue = "severity", paramLabel = "ORDER",
      description = "severity (default) or saving: the largest monthly saving first (prices: --price-table, else the"
          + " detected platform's).")
  String sort = "severity";

  @Option(names = "--format", defaultValue = "human", description = "human (default) or json.")
  String format;

  @Option(names = "--prove", description = "Measure the proposed indexes for real before proposing them: the read-only"
      + " statements they help run without and with them (built in a transaction that is rolled back; writers to those"
      + " tables wait meanwhile, so use a copy or a quiet time); a proposal that makes any statement slower is dropped."
      + " Also runs the workload's parameterized reads with their own and with generic plans (query.generic_plan_slower).")
  boolean prove;

  @picocli.CommandLine.Mixin
  HistoryOptions history = new HistoryOptions();

  /** From --memory and --storage. */
  private Map<String, String> machine = Map.of();
  private IndexBudget indexBudget = IndexBudget.DEFAULT;

  public AdviseCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    if (!sort.equals("severity") && !sort.equals("saving")) {
      throw new CliFailure(ExitCode.USAGE, "--sort must be severity or saving, not '" + sort + "'");
    }
    OutputFormat.check(format);
    if (top < 0) {
      throw new CliFailure(ExitCode.USAGE, "--top must not be negative");
    }
    Map<String, String> machine = new HashMap<>();
    if (memory != null) {
      try {
        machine.put("memory_bytes", Long.toString((long) Quantities.parseBytes(memory)));
      } catch (IllegalArgumentException e) {
        throw new CliFailure(ExitCode.USAGE, "--memory: " + e.getMessage());
      }
    }
    if (storage != null) {
      if (!storage.equals("ssd") && !storage.equals("hdd")) {
        throw new CliFailure(ExitCode.USAGE, "--storage must be ssd or hdd, not '" + storage + "'");
      }
      machine.put("storage", storage);
    }
    this.machine = machine;
    if (budget != null) {
      try {
        indexBudget = IndexBudget.parse(budget);
      } catch (IllegalArgumentException e) {
        throw new CliFailure(ExitCode.USAGE, "--budget: " + e.getMessage() + " (use e.g. 2GB or 10%)");
      }
    }
    history.check();
    advise(connection.target(ctx), connection.sessionOptions());
    return ExitCode.OK;
  }

  /** Runs the rules against {@code target} and prints the findings, as the command does. */
  public Advisor.Advice advise(DatabaseTarget target, dev.pgopt.connect.SessionOptions options) {
    Predicate<String> filter = ruleFilter(rules);
    Map<String, Long> replicaScans = replicaIndexScans();
    dev.pgopt.advise.TableGrowth growth = !history.given() ? dev.pgopt.advise.TableGrowth.NONE
        : dev.pgopt.advise.TableGrowth.of(history.read(ctx, options, java.time.Duration.ofDays(30),
            dev.pgopt.monitor.StoredHistory::tableGrowth));
    try (Session session = Session.open(target, options)) {
      List<Rule> all = new ArrayList<>(Advisor.standardRules(top, indexBudget, growth));
      if (rules.stream().anyMatch(r -> r.strip().startsWith("security"))) {
        all.addAll(Advisor.securityRules(TenantIsolationRules.DEFAULT_COLUMNS));
      }
      Advisor.Advice advice = new Advisor(all, ctx.clock())
          .allowingUserFunctions(planning.allowUserFunctions).run(session, replicaScans, machine, filter);
      if (prove) {
        advice = proven(advice, target, options, revision(all, target, options, ctx.clock(), planning.allowUserFunctions), filter);
      }
      advice = priced(advice);
      ctx.out().print(format.equals("json") ? FindingsJson.write(advice, target.display()) + "\n" : HumanFindings.render(advice, target.display()));
      return advice;
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
  }

  /** Findings with their monthly saving when prices or the saving order were asked for, in the order asked. */
  private Advisor.Advice priced(Advisor.Advice advice) {
    if (!prices.given() && sort.equals("severity")) {
      return advice;
    }
    List<dev.pgopt.advise.Finding> findings = dev.pgopt.analyze.cost.FindingSavings.annotate(advice.findings(),
        prices.resolve(advice.platform().platform()));
    if (sort.equals("saving")) {
      findings = dev.pgopt.analyze.cost.FindingSavings.bySaving(findings);
    }
    return new Advisor.Advice(advice.database(), advice.generatedAt(), advice.platform(), findings, advice.notes());
  }

  /**
   * The index rule among {@code rules} asked again, on a session of its own, without the proposals the proof dropped;
   * {@link IndexProof.Revision#NONE} when the rules hold none.
   */
  static IndexProof.Revision revision(List<Rule> rules, DatabaseTarget target, dev.pgopt.connect.SessionOptions options,
                                      java.time.Clock clock, boolean allowUserFunctions) {
    IndexMissingRule rule = rules.stream().filter(IndexMissingRule.class::isInstance).map(IndexMissingRule.class::cast)
        .findFirst().orElse(null);
    if (rule == null) {
      return IndexProof.Revision.NONE;
    }
    return dropped -> {
      try (Session s = Session.open(target, options)) {
        return new Advisor(List.of(rule.excluding(dropped)), clock).allowingUserFunctions(allowUserFunctions)
            .run(s, Map.of(), Map.of(), id -> true).findings();
      } catch (DatabaseFailure f) {
        throw new java.sql.SQLException("asking the advisor again: " + f.getMessage(), f);
      }
    };
  }

  /**
   * The advice after {@link IndexProof}: proposals measured on a connection of their own, which may write; then, when
   * {@code filter} lets {@link SlowGenericPlans#RULE} run, the statements whose generic plans run slower.
   */
  static Advisor.Advice proven(Advisor.Advice advice, DatabaseTarget target, dev.pgopt.connect.SessionOptions options,
                               IndexProof.Revision revision, Predicate<String> filter) throws DatabaseFailure {
    try (java.sql.Connection c = dev.pgopt.connect.Connections.open(target, options)) {
      List<dev.pgopt.collect.StatementEntry> workload;
      try {
        workload = dev.pgopt.collect.StatementCollector.read(c, Sql.one(c, "SELECT current_setting('server_version_num')::int",
            rs -> rs.getInt(1)), java.time.Clock.systemUTC()).entries();
      } catch (dev.pgopt.collect.StatementStatisticsUnavailable e) {
        workload = List.of();
      }
      IndexProof.Result r = IndexProof.prove(c, dev.pgopt.collect.PlanGuard.strict(), advice.findings(), workload,
          IndexProof.Options.DEFAULTS, revision);
      List<String> notes = new ArrayList<>(advice.notes());
      notes.addAll(r.notes());
      List<dev.pgopt.advise.Finding> findings = new ArrayList<>(r.findings());
      if (filter.test(SlowGenericPlans.RULE)) {
        SlowGenericPlans.Result g = SlowGenericPlans.check(c, dev.pgopt.collect.PlanGuard.strict(), workload,
            SlowGenericPlans.Options.DEFAULTS);
        findings.addAll(g.findings());
        notes.addAll(g.notes());
        // most severe first, as the advisor orders them
        findings.sort(java.util.Comparator.comparing(dev.pgopt.advise.Finding::severity));
      }
      return new Advisor.Advice(advice.database(), advice.generatedAt(), advice.platform(), findings, notes);
    } catch (java.sql.SQLException e) {
      throw new CliFailure(ExitCode.UNKNOWN, "--prove failed at " + target.display() + ": " + e.getMessage().split("\n")[0]
          + "; nothing was left behind (the indexes were built in a transaction that was rolled back)", e);
    }
  }

  /**
   * Rule patterns: exact ids, or globs with '*'. A rule family ("config", "query") runs when a pattern could select one
   * of its rules ("config.*", "config.work_mem"); its findings are then filtered by their own rule ids.
   */
  static Predicate<String> ruleFilter(List<String> patterns) {
    if (patterns.isEmpty()) {
      return id -> true;
    }
    List<String> globs = new ArrayList<>();
    List<Pattern> compiled = new ArrayList<>();
    for (String p : patterns) {
      String s = p.strip();
      if (!s.matches("[a-z_*.]+")) {
        throw new CliFailure(ExitCode.USAGE, "--rules: '" + p + "' is not a rule id or pattern (e.g. index.*, table.vacuum)");
      }
      globs.add(s);
      compiled.add(Pattern.compile(s.replace(".", "\\.").replace("*", ".*")));
    }
    return id -> {
      for (int i = 0; i < globs.size(); i++) {
        if (compiled.get(i).matcher(id).matches() || compiled.get(i).matcher(id + ".x").matches() || globs.get(i).startsWith(id + ".")) {
          return true;
        }
      }
      return false;
    };
  }

  private Map<String, Long> replicaIndexScans() {
    Map<String, Long> scans = new LinkedHashMap<>();
    for (String url : replicas) {
      DatabaseTarget replica;
      try {
        replica = DatabaseTarget.parse(url, ctx.env());
      } catch (InvalidTargetException e) {
        throw new CliFailure(ExitCode.UNKNOWN, "invalid connection string in --replica: " + e.getMessage());
      }
      try (Session s = Session.open(replica, connection.sessionOptions())) {
        s.readOnly(c -> Sql.list(c, "SELECT schemaname || '.' || indexrelname, idx_scan FROM pg_stat_user_indexes",
            rs -> scans.merge(rs.getString(1), rs.getLong(2), Long::sum)));
      } catch (DatabaseFailure f) {
        throw new CliFailure(ExitCode.UNKNOWN, "replica: " + f.getMessage(), f);
      }
    }
    return scans;
  }
}
