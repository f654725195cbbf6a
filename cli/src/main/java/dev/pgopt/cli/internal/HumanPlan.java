package dev.pgopt.cli.internal;

import dev.pgopt.analyze.plan.PlanInsight;
import dev.pgopt.collect.PlanCollector;
import dev.pgopt.collect.PlanNode;
import java.util.List;
import java.util.Locale;

/** A plan tree and its insights, for people. */
public final class HumanPlan {
  private HumanPlan() {}

  public static String render(PlanCollector.Explained e, List<PlanInsight> insights, String target) {
    StringBuilder sb = new StringBuilder();
    sb.append("pgopt explain  ").append(target).append('\n');
    sb.append("               ").append(e.analyzed() ? "executed with ANALYZE in a read-only transaction, rolled back"
        : e.generic() ? "generic plan: " + e.parameters() + " parameters left unknown" : "estimated plan (not executed)").append("\n\n");
    node(sb, e.root(), 0);
    sb.append('\n');
    if (insights.isEmpty()) {
      sb.append("No insights: nothing in this plan matches a known slow pattern.\n");
    } else {
      sb.append("Insights:\n");
      for (PlanInsight i : insights) {
        sb.append("  ▲ ").append(i.rule()).append(" at ").append(i.node()).append('\n');
        sb.append("    ").append(i.message()).append('\n');
        sb.append("    → ").append(i.suggestion()).append('\n');
      }
    }
    return sb.toString();
  }

  private static void node(StringBuilder sb, PlanNode n, int depth) {
    sb.append("  ".repeat(depth)).append(depth == 0 ? "" : "-> ").append(n.describe())
        .append(String.format(Locale.ROOT, "  (cost=%.2f rows=%.0f)", n.totalCost(), n.planRows()));
    if (n.analyzed()) {
      sb.append(String.format(Locale.ROOT, " (actual rows=%.0f loops=%.0f)", n.actualRows(), n.actualLoops()));
    }
    sb.append('\n');
    String pad = "  ".repeat(depth) + (depth == 0 ? "   " : "      ");
    if (!n.sortKey().isEmpty()) {
      sb.append(pad).append("sort key: ").append(String.join(", ", n.sortKey())).append('\n');
    }
    if (n.filter() != null) {
      sb.append(pad).append("filter: ").append(n.filter());
      if (n.rowsRemovedByFilter() != null) {
        sb.append(String.format(Locale.ROOT, " (removed %.0f rows)", n.rowsRemovedByFilter()));
      }
      sb.append('\n');
    }
    n.children().forEach(c -> node(sb, c, depth + 1));
  }
}
