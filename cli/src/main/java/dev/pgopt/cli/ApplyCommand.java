package dev.pgopt.cli;

import dev.pgopt.advise.Advisor;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Rule;
import dev.pgopt.advise.rules.security.TenantIsolationRules;
import dev.pgopt.advise.whatif.IndexBudget;
import dev.pgopt.apply.Applier;
import dev.pgopt.apply.MigrationWriter;
import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.collect.StatementStatisticsUnavailable;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.SessionOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "apply", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Apply findings of pgopt advise, selected by id, by rule, or --safe (low risk, online only).",
        "A dry run by default: it prints the plan. --execute runs it: one action at a time, outside transactions, under "
            + "lock_timeout with retries, behind an advisory lock, checking every index it builds and dropping an INVALID "
            + "leftover; each action is recorded in pgopt.actions. --emit-migration writes Flyway migrations instead."},
    footer = {"", "Exit codes: 0 done (or dry run), 3 cannot connect, refused, or an action failed, 64 usage error."})
public final class ApplyCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Mixin
  PlanningOptions planning = new PlanningOptions();

  @Option(names = "--id", paramLabel = "ID", description = "A finding id from pgopt advise (repeatable).")
  List<String> ids = new ArrayList<>();

  @Option(names = "--rule", split = ",", paramLabel = "PATTERN", description = "All findings of these rules, e.g. index.invalid,index.duplicate.")
  List<String> rules = new ArrayList<>();

  @Option(names = "--safe", description = "All findings whose action is low risk and online.")
  boolean safe;

  @Option(names = "--execute", description = "Run the plan (without it, only print it).")
  boolean execute;

  @Mixin
  BackupFirstOptions backup = new BackupFirstOptions();

  @Option(names = "--emit-migration", paramLabel = "DIR", description = "Write Flyway versioned migrations to DIR instead of running.")
  Path migrationDir;

  @Option(names = "--lock-timeout", defaultValue = "5s", description = "lock_timeout for each action (default: ${DEFAULT-VALUE}).")
  String lockTimeout;

  @Option(names = "--build-timeout", defaultValue = "1h", description = "statement_timeout for each action (default: ${DEFAULT-VALUE}).")
  String buildTimeout;

  @Option(names = "--retries", defaultValue = "3", description = "Retries after a lock timeout, with doubling backoff from 1 s (default: ${DEFAULT-VALUE}).")
  int retries;

  @Option(names = "--prove", description = "As for pgopt advise: measure proposed indexes first and apply none that makes a"
      + " statement slower.")
  boolean prove;

  @Option(names = "--budget", paramLabel = "SIZE|PCT", description = "As for pgopt advise.")
  String budget;

  public ApplyCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    if (ids.isEmpty() && rules.isEmpty() && !safe) {
      throw new CliFailure(ExitCode.USAGE, "choose what to apply: --id ID, --rule PATTERN or --safe (pgopt advise lists the findings)");
    }
    if (execute && migrationDir != null) {
      throw new CliFailure(ExitCode.USAGE, "use --execute or --emit-migration, not both");
    }
    if (execute) {
      backup.validate(ctx);
    }
    if (retries < 0 || retries > 10) {
      throw new CliFailure(ExitCode.USAGE, "--retries must be from 0 to 10");
    }
    IndexBudget indexBudget;
    try {
      indexBudget = budget == null ? IndexBudget.DEFAULT : IndexBudget.parse(budget);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCode.USAGE, "--budget: " + e.getMessage());
    }
    Applier.Options options = new Applier.Options(ConnectionOptions.duration(lockTimeout, "--lock-timeout"),
        ConnectionOptions.duration(buildTimeout, "--build-timeout"), retries, Duration.ofSeconds(1));
    Set<String> ruleIds = new LinkedHashSet<>(rules);
    ids.forEach(id -> ruleIds.add(id.contains(":") ? id.substring(0, id.indexOf(':')) : id));
    Predicate<String> filter = safe ? x -> true : AdviseCommand.ruleFilter(new ArrayList<>(ruleIds));
    DatabaseTarget target = connection.target(ctx);
    SessionOptions sessionOptions = connection.sessionOptions();
    Advisor.Advice advice;
    Optional<StatementSnapshot> workload;
    List<Rule> all;
    try (Session session = Session.open(target, sessionOptions)) {
      all = new ArrayList<>(Advisor.standardRules(10, indexBudget));
      if (!safe && ruleIds.stream().anyMatch(r -> r.startsWith("security"))) {
        all.addAll(Advisor.securityRules(TenantIsolationRules.DEFAULT_COLUMNS));
      }
      advice = new Advisor(all, ctx.clock())
          .allowingUserFunctions(planning.allowUserFunctions).run(session, Map.of(), Map.of(), filter);
      workload = session.readOnly(c -> {
        try {
          return Optional.of(StatementCollector.read(c, session.serverVersionNum(), ctx.clock()));
        } catch (StatementStatisticsUnavailable e) {
          return Optional.empty();
        }
      });
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
    if (prove) {
      Advisor.Advice before = advice;
      try {
        advice = AdviseCommand.proven(advice, target, sessionOptions,
            AdviseCommand.revision(all, target, sessionOptions, ctx.clock(), planning.allowUserFunctions),
            // --safe never applies the role setting (medium risk): not worth running the statements for
            safe ? id -> false : filter);
      } catch (DatabaseFailure f) {
        throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
      }
      for (String id : ids) {
        boolean was = before.findings().stream().anyMatch(x -> x.answersTo(id));
        if (was && advice.findings().stream().noneMatch(x -> x.answersTo(id))) {
          throw new CliFailure(ExitCode.WARNING, "finding '" + id + "' is not applied: --prove measured a statement slower with it ("
              + String.join("; ", advice.notes().stream().filter(n -> n.startsWith("prove: dropped")
                  || n.startsWith("prove: proposed in their place")).toList()) + "); nothing was applied");
        }
      }
      advice.notes().stream().filter(n -> n.startsWith("prove:")).forEach(n -> ctx.out().println(n));
    }
    List<Finding> selected = select(advice.findings(), filter);
    if (selected.isEmpty()) {
      ctx.out().println("Nothing to apply: no current finding matches" + (safe ? " --safe" : "") + ".");
      return ExitCode.OK;
    }
    if (migrationDir != null) {
      try {
        List<Path> files = MigrationWriter.write(migrationDir, selected, ctx.clock().instant());
        files.forEach(f -> ctx.out().println("wrote " + f));
        return ExitCode.OK;
      } catch (IOException e) {
        throw new CliFailure(ExitCode.UNKNOWN, "cannot write migrations to " + migrationDir + ": " + e.getMessage(), e);
      }
    }
    printPlan(selected);
    if (!execute) {
      ctx.out().println("\nDry run: nothing was executed. Run again with --execute to apply, or --emit-migration DIR.");
      return ExitCode.OK;
    }
    backup.beforeExecuting(ctx, target, sessionOptions);
    Applier applier = new Applier(options, ctx.colour()
        ? (index, phase, pct) -> ctx.err().printf(Locale.ROOT, "\r  building %s: %s %.0f%%   ", index, phase, pct)
        : Applier.Progress.NONE, d -> Thread.sleep(d.toMillis())).reconnectingWith(() -> Connections.open(target, sessionOptions));
    try (Connection c = Connections.open(target, sessionOptions); Connection monitor = Connections.open(target, sessionOptions)) {
      List<Applier.Result> results = applier.apply(c, monitor, selected, workload);
      ctx.out().println();
      boolean allOk = true;
      for (Applier.Result r : results) {
        ctx.out().println((r.succeeded() ? "  ✔ " : "  ✖ ") + r.findingId() + ": " + r.message() + " (pgopt.actions id " + r.auditId() + ")");
        allOk &= r.succeeded();
      }
      ctx.out().println(allOk ? "\nApplied. Measure the effect later with: pgopt verify" : "\nSome actions failed; the others were applied.");
      return allOk ? ExitCode.OK : ExitCode.UNKNOWN;
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    } catch (Applier.ApplyRefused e) {
      throw new CliFailure(ExitCode.UNKNOWN, e.getMessage(), e);
    } catch (SQLException e) {
      throw new CliFailure(ExitCode.UNKNOWN, "apply failed: " + e.getMessage(), e);
    }
  }

  private List<Finding> select(List<Finding> findings, Predicate<String> filter) {
    List<Finding> out = new ArrayList<>();
    for (String id : ids) {
      Finding f = findings.stream().filter(x -> x.answersTo(id)).findFirst().orElseThrow(() -> new CliFailure(ExitCode.USAGE,
          "unknown finding id '" + id + "': pgopt advise lists the current ones (a finding disappears when its problem is gone)"));
      if (f.action() == null) {
        throw new CliFailure(ExitCode.USAGE, "finding '" + id + "' is advice without a single statement to run: see its evidence in pgopt advise");
      }
      if (!out.contains(f)) {
        out.add(f);
      }
    }
    for (Finding f : findings) {
      if (out.contains(f) || f.action() == null) {
        continue;
      }
      boolean byRule = !rules.isEmpty() && (AdviseCommand.ruleFilter(rules).test(f.rule())
          || f.evidence().get("also") instanceof List<?> also && also.stream().anyMatch(a -> a instanceof Map<?, ?> m
              && AdviseCommand.ruleFilter(rules).test(String.valueOf(m.get("rule")))));
      boolean bySafety = safe && f.action().online() && f.action().risk().equals("low") && filter.test(f.rule());
      if (byRule || bySafety) {
        out.add(f);
      }
    }
    return out;
  }

  private void printPlan(List<Finding> selected) {
    ctx.out().println("Plan (" + selected.size() + " actions, in this order):");
    for (Finding f : selected) {
      ctx.out().println("\n  " + f.id() + "\n    " + f.title());
      for (String line : f.action().sql().split("\n")) {
        ctx.out().println("    " + line);
      }
      ctx.out().println("    locks: " + f.action().locks() + ", risk: " + f.action().risk() + ", "
          + (f.action().online() ? "online" : "NOT online") + (f.action().undoSql() == null ? ", no undo" : ", undo: " + f.action().undoSql().replace("\n", " ")));
    }
  }
}
