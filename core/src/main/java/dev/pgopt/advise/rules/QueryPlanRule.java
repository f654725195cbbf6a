package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.Rule;
import dev.pgopt.analyze.plan.PlanInsight;
import dev.pgopt.analyze.plan.PlanInsights;
import dev.pgopt.collect.PlanCollector;
import dev.pgopt.collect.SqlText;
import dev.pgopt.collect.StatementEntry;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code query.*}: the plan insights of the statements that take most time (generic plans of their
 * pg_stat_statements text), one finding per insight, named {@code query.<insight rule>}. A statement that cannot be
 * planned is skipped, with the reason in the notes.
 */
public final class QueryPlanRule implements Rule {
  private final int topStatements;

  public QueryPlanRule(int topStatements) {
    this.topStatements = topStatements;
  }

  @Override
  public String id() {
    return "query";
  }

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    if (ctx.workload().isEmpty()) {
      return List.of();
    }
    List<StatementEntry> entries = ctx.workload().get().entries();
    double total = entries.stream().mapToDouble(e -> e.counters().totalExecMs()).sum();
    List<StatementEntry> top = entries.stream()
        .filter(e -> PlanCollector.plannable(e.query()))
        .sorted(Comparator.comparingDouble((StatementEntry e) -> e.counters().totalExecMs()).reversed())
        .limit(topStatements)
        .toList();
    List<Finding> out = new ArrayList<>();
    for (StatementEntry e : top) {
      // with the LIMIT its calls use, as index.missing costs it: the insights and the proposals read the same plan
      PlanCollector.Attempt attempt = PlanCollector.attempt(ctx.connection(), ctx.guard(),
          SqlText.withTypicalLimit(e.query(), e.counters().typicalRows()), ctx.serverVersionNum(), true);
      if (!attempt.planned()) {
        ctx.notes().add("skipped queryid " + e.queryId() + " (" + truncate(e.query()) + "): it cannot be planned: " + attempt.error());
        continue;
      }
      PlanCollector.Explained explained = attempt.plan();
      double share = total == 0 ? 0 : 100 * e.counters().totalExecMs() / total;
      for (PlanInsight i : PlanInsights.of(explained.root(), explained.tables())) {
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("queryid", e.queryId());
        evidence.put("query", e.query());
        evidence.put("calls", e.counters().calls());
        evidence.put("mean_exec_ms", Math.round(e.counters().meanExecMs() * 100) / 100.0);
        evidence.put("total_exec_ms", Math.round(e.counters().totalExecMs()));
        evidence.put("share_percent", Math.round(share * 10) / 10.0);
        evidence.put("node", i.node());
        evidence.put("plan_numbers", i.numbers());
        evidence.put("suggestion", i.suggestion());
        out.add(new Finding("query." + i.rule() + ":" + e.queryId() + ":" + i.node(), "query." + i.rule(),
            share >= 5 ? Severity.WARNING : Severity.INFO, new DbObject(null, null, null, null),
            "statement " + e.queryId() + " (" + Math.round(share * 10) / 10.0 + " % of statement time): " + i.message(),
            evidence, Map.of("share_percent", Math.round(share * 10) / 10.0), Confidence.MEASURED, null));
      }
    }
    return out;
  }

  private static String truncate(String s) {
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() <= 60 ? one : one.substring(0, 59) + "…";
  }
}
