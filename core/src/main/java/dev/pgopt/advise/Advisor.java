package dev.pgopt.advise;

import dev.pgopt.advise.platform.PlatformAdaptation;
import dev.pgopt.collect.platform.PlatformDetector;
import dev.pgopt.collect.platform.PlatformProfile;

import dev.pgopt.advise.rules.BloatRules;
import dev.pgopt.advise.rules.ConfigRules;
import dev.pgopt.advise.rules.ConnectionRules;
import dev.pgopt.advise.rules.ForeignKeyIndexRule;
import dev.pgopt.advise.rules.IndexDuplicateRule;
import dev.pgopt.advise.rules.IndexInvalidRule;
import dev.pgopt.advise.rules.IndexMissingRule;
import dev.pgopt.advise.whatif.IndexBudget;
import dev.pgopt.advise.rules.IndexRedundantRule;
import dev.pgopt.advise.rules.IndexUsageRules;
import dev.pgopt.advise.rules.PartitionRules;
import dev.pgopt.advise.rules.QueryPlanRule;
import dev.pgopt.advise.rules.SequenceExhaustionRule;
import dev.pgopt.advise.rules.TableAnalyzeRule;
import dev.pgopt.advise.rules.TableAutovacuumRule;
import dev.pgopt.advise.rules.TableVacuumRule;
import dev.pgopt.advise.rules.WraparoundRule;
import dev.pgopt.advise.rules.security.AuditRule;
import dev.pgopt.advise.rules.security.AuthenticationRules;
import dev.pgopt.advise.rules.security.PrivilegeRules;
import dev.pgopt.advise.rules.security.RoleRules;
import dev.pgopt.advise.rules.security.TenantIsolationRules;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.collect.StatementStatisticsUnavailable;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.Sql;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Runs the rules, each in its own read-only transaction, and collects their findings, most severe first. The workload
 * (pg_stat_statements) is read once and shared; without it the catalog rules still run and a note says how to enable
 * it. A statement timeout or a lost connection ends the run; any other failure skips just that rule, with a note.
 */
public final class Advisor {
  private final List<Rule> rules;
  private final Clock clock;
  private final boolean allowUserFunctions;

  public Advisor(List<Rule> rules, Clock clock) {
    this(rules, clock, false);
  }

  private Advisor(List<Rule> rules, Clock clock, boolean allowUserFunctions) {
    this.rules = List.copyOf(rules);
    this.clock = clock;
    this.allowUserFunctions = allowUserFunctions;
  }

  /**
   * Whether statements that call user-defined functions may be planned (PostgreSQL may run those functions while
   * planning, with pgopt's role). Off by default: such statements are skipped with a note naming the function.
   */
  public Advisor allowingUserFunctions(boolean allow) {
    return new Advisor(rules, clock, allow);
  }

  /** The built-in rules, then those of every {@link RuleProvider} on the class path. */
  public static List<Rule> standardRules(int topStatements, IndexBudget budget) {
    return standardRules(topStatements, budget, TableGrowth.NONE);
  }

  /** The built-in rules with table sizes over a history ({@code growth}) for those that size by growth. */
  public static List<Rule> standardRules(int topStatements, IndexBudget budget, TableGrowth growth) {
    List<Rule> rules = new ArrayList<>(List.of(new IndexMissingRule(500, budget), new IndexInvalidRule(), new IndexDuplicateRule(), new IndexRedundantRule(),
        new IndexUsageRules(), new ForeignKeyIndexRule(), new TableVacuumRule(), new TableAnalyzeRule(), new WraparoundRule(),
        new SequenceExhaustionRule(), new BloatRules.TableBloat(), new BloatRules.IndexBloat(), new ConnectionRules(Duration.ofSeconds(60), 70), new ConfigRules(), new TableAutovacuumRule(), new QueryPlanRule(topStatements),
        new PartitionRules.Candidate(1L << 30, growth), new PartitionRules.Excess()));
    ServiceLoader.load(RuleProvider.class).forEach(p -> rules.addAll(p.rules()));
    return rules;
  }

  /**
   * The {@code security.*} rules; {@code tenantColumns} are the column names that mark a tenant. Not among the standard
   * rules: a security review is asked for ({@code pgopt check --security}, {@code advise --rules 'security.*'}), not
   * mixed into every performance run.
   */
  public static List<Rule> securityRules(List<String> tenantColumns) {
    return List.of(new RoleRules(), new AuthenticationRules(), new PrivilegeRules(), new TenantIsolationRules(tenantColumns),
        new AuditRule());
  }

  /** The advice, the platform it was adapted to, and what could not be looked at. */
  public record Advice(String database, String generatedAt, PlatformProfile platform, List<Finding> findings,
                       List<String> notes) {}

  public Advice run(Session session, Map<String, Long> replicaIndexScans, Map<String, String> machine, Predicate<String> ruleFilter)
      throws DatabaseFailure {
    List<String> notes = new ArrayList<>(session.target().warnings());
    Optional<StatementSnapshot> workload = session.readOnly(c -> {
      try {
        return Optional.of(StatementCollector.read(c, session.serverVersionNum(), clock));
      } catch (StatementStatisticsUnavailable e) {
        notes.add(e.getMessage() + "; catalog-based findings follow, workload-based ones (query.*, config.work_mem) are skipped");
        return Optional.empty();
      }
    });
    String database = session.readOnly(c -> Sql.one(c, "SELECT current_database()", rs -> rs.getString(1)));
    List<Finding> findings = new ArrayList<>();
    PlanGuard guard = PlanGuard.of(allowUserFunctions);
    for (Rule rule : rules) {
      if (!ruleFilter.test(rule.id())) {
        continue;
      }
      try {
        List<String> ruleNotes = new ArrayList<>();
        findings.addAll(session.readOnly(c -> rule.evaluate(
            new AdviceContext(c, session.serverVersionNum(), clock, workload, replicaIndexScans, machine, ruleNotes, guard))));
        notes.addAll(ruleNotes);
      } catch (DatabaseFailure f) {
        if (f.kind() == DatabaseFailure.Kind.STATEMENT_TIMEOUT || f.kind() == DatabaseFailure.Kind.CONNECTION_LOST) {
          throw new DatabaseFailure(f.kind(), f.getMessage() + " (during rule " + rule.id() + ")", f);
        }
        notes.add("rule " + rule.id() + " skipped: " + f.getMessage());
      }
    }
    notes.addAll(guard.notes());
    findings.removeIf(f -> !ruleFilter.test(f.rule()));
    findings.sort(Comparator.comparing(Finding::severity).thenComparing(Finding::rule).thenComparing(Finding::id));
    String host = session.target().endpoints().isEmpty() ? null : session.target().endpoints().get(0).host();
    PlatformProfile platform = session.readOnly(c -> PlatformDetector.detect(c, host));
    List<Finding> adapted = findings;
    if (platform.platform().managed()) {
      Set<String> userSettable = Set.copyOf(session.readOnly(c -> Sql.list(c,
          "SELECT name FROM pg_settings WHERE context = 'user'", rs -> rs.getString(1))));
      adapted = PlatformAdaptation.adapt(findings, platform, userSettable, database);
      notes.add("platform: " + platform.platform().displayName() + " (" + String.join(", ", platform.evidence())
          + "); server settings live in " + platform.platform().settingsHome());
    }
    return new Advice(database, clock.instant().toString(), platform, FindingMerger.merge(adapted, notes), notes);
  }
}
