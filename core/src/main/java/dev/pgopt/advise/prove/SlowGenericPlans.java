package dev.pgopt.advise.prove;

import dev.pgopt.advise.Finding;
import dev.pgopt.advise.whatif.ParameterValues;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.SqlText;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.collect.StatementRefused;
import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
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
import java.util.Set;

/**
 * {@code advise --prove}, rule {@code query.generic_plan_slower}: the workload's parameterized read statements whose
 * generic plan, which the server switches a prepared statement to, runs its calls slower than their own plans do
 * ({@link GenericPlanCheck}). The statements run for real (read-only transaction, statement timeout), so only with
 * {@code --prove}. The action sets {@code plan_cache_mode = force_custom_plan} for the role that runs the statement: every
 * statement of that role is then planned at each execution, which costs the planning time the evidence gives, so it
 * is medium risk and never applied by {@code --safe}.
 */
public final class SlowGenericPlans {
  public static final String RULE = "query.generic_plan_slower";

  /**
   * @param statements how many parameterized read statements, by total time, are checked
   * @param runs measured runs per call and plan, after a warm-up
   */
  public record Options(int statements, int runs, Duration statementTimeout) {
    public static final Options DEFAULTS = new Options(20, 3, Duration.ofSeconds(30));
  }

  /** The findings, and notes on what was checked and what could not be. */
  public record Result(List<Finding> findings, List<String> notes) {}

  private SlowGenericPlans() {}

  public static Result check(Connection c, PlanGuard guard, List<StatementEntry> workload, Options options) throws SQLException {
    List<String> notes = new ArrayList<>();
    List<Finding> findings = new ArrayList<>();
    Map<String, StatementEntry> byText = new LinkedHashMap<>();
    workload.stream()
        .filter(e -> e.topLevel() && e.counters().calls() > 0 && !Sql.isOwn(e.query()) && SqlText.startsAsQuery(e.query())
            && e.query().matches("(?s).*\\$[0-9].*"))
        .sorted(Comparator.comparingDouble((StatementEntry e) -> e.counters().totalExecMs()).reversed())
        .forEach(e -> byText.putIfAbsent(e.query(), e));
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    int checked = 0;
    List<String> unmeasured = new ArrayList<>();
    try {
      try (Statement s = c.createStatement()) {
        s.execute(Sql.OWN_MARK + "SET TRANSACTION READ ONLY");
      }
      Map<String, List<String>> tablesByName = Statements.tablesByName(c);
      ParameterValues values = new ParameterValues(c);
      for (StatementEntry e : byText.values()) {
        if (checked >= options.statements()) {
          break;
        }
        checked++;
        Set<String> named = Statements.named(e.query(), tablesByName);
        ParameterValues.Prepared p = values.prepared(e.query(), named, Math.max(1, e.counters().typicalRows()));
        String why = p.problem();
        if (why == null && p.arguments() == 0) {
          checked--;
          continue;
        }
        if (why == null) {
          try {
            guard.admit(c, p.sql(), true);
          } catch (StatementRefused refused) {
            why = refused.getMessage();
          }
        }
        if (why != null) {
          unmeasured.add("queryid " + e.queryId() + " (" + why + ")");
          continue;
        }
        GenericPlanCheck.Verdict v = GenericPlanCheck.measure(c, p, options.runs(), options.statementTimeout().toMillis());
        if (v.failure() != null) {
          unmeasured.add("queryid " + e.queryId() + " (" + v.failure() + ")");
        } else if (v.slower()) {
          findings.add(finding(e, v, named));
        }
      }
    } finally {
      c.rollback();
      c.setAutoCommit(autoCommit);
    }
    notes.add(RULE + ": " + checked + " parameterized read statements run with their own and with their generic plans"
        + " (the 3 most common values of a column they compare with =, and an ordinary one, each as often as it occurs)"
        + (unmeasured.isEmpty() ? "" : "; not measured: " + String.join(", ", unmeasured.subList(0, Math.min(5, unmeasured.size())))
        + (unmeasured.size() > 5 ? ", …" : "")));
    return new Result(findings, notes);
  }

  private static String ms(double ms) {
    return ms >= 1000 ? String.format(Locale.ROOT, "%.1f s", ms / 1000) : String.format(Locale.ROOT, "%.1f ms", ms);
  }

  private static Finding finding(StatementEntry e, GenericPlanCheck.Verdict v, Set<String> tables) {
    GenericPlanCheck.CallTiming worst = v.worst();
    String table = tables.size() == 1 ? tables.iterator().next() : null;
    Map<String, Object> evidence = new LinkedHashMap<>();
    evidence.put("queryid", e.queryId());
    evidence.put("query", e.query().length() > 200 ? e.query().substring(0, 200) : e.query());
    evidence.put("role", e.user());
    evidence.put("calls", e.counters().calls());
    evidence.putAll(v.evidence());
    evidence.put("suggestion", "plan this statement with its values at every execution: for its role as the action does,"
        + " or only where it runs (pgjdbc prepareThreshold=0 on its connections, or SET plan_cache_mode = force_custom_plan"
        + " in its sessions); or give it an index that serves every value alike, so the generic plan is the good one"
        + " (index.missing may propose one: after applying it, advise --prove measures again)");
    Map<String, Object> impact = new LinkedHashMap<>();
    impact.put("ms_per_call_saved", Math.round((v.genericMs() - v.customMs() - v.planningMs()) * 100) / 100.0);
    String role = Quoting.ident(e.user());
    return new Finding(RULE + ":" + e.queryId(), RULE, Finding.Severity.WARNING,
        new Finding.DbObject(table == null ? null : table.substring(0, table.indexOf('.')),
            table == null ? null : table.substring(table.indexOf('.') + 1), null, null),
        String.format(Locale.ROOT, "statement %d: in about %.0f %% of sessions the server switches it to its generic plan"
                + " (a prepared statement, after 5 executions), and its calls then take %s on average against %s with"
                + " their own plans (%s: %s against %s)",
            e.queryId(), 100 * v.switchShare(), ms(v.genericMs()), ms(v.customMs()), worst.described(),
            ms(worst.genericMs()), ms(worst.customMs())),
        evidence, impact, Finding.Confidence.MEASURED,
        new Finding.Action("ALTER ROLE " + role + " SET plan_cache_mode = force_custom_plan;",
            "ALTER ROLE " + role + " RESET plan_cache_mode;", true,
            "none (new sessions of the role only; every statement of the role is then planned at each execution)", "medium"));
  }
}
