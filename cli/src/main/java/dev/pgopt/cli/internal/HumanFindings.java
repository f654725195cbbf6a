package dev.pgopt.cli.internal;

import dev.pgopt.advise.Advisor;
import dev.pgopt.advise.Finding;
import java.util.List;

/** Findings grouped by severity, each with its id and the SQL that acts on it. */
public final class HumanFindings {
  private HumanFindings() {}

  public static String render(Advisor.Advice advice, String target) {
    return render(advice, target, "pgopt advise");
  }

  /** @param command what produced the findings, for the header line */
  public static String render(Advisor.Advice advice, String target, String command) {
    StringBuilder sb = new StringBuilder();
    long critical = count(advice.findings(), Finding.Severity.CRITICAL);
    long warning = count(advice.findings(), Finding.Severity.WARNING);
    long info = count(advice.findings(), Finding.Severity.INFO);
    sb.append(command).append("  ").append(target).append('\n');
    sb.append(" ".repeat(command.length() + 2)).append(advice.findings().size()).append(" findings: ").append(critical).append(" critical, ")
        .append(warning).append(" warning, ").append(info).append(" info\n");
    for (Finding.Severity s : Finding.Severity.values()) {
      List<Finding> group = advice.findings().stream().filter(f -> f.severity() == s).toList();
      if (group.isEmpty()) {
        continue;
      }
      sb.append('\n').append(s.name()).append('\n');
      for (Finding f : group) {
        sb.append("  [").append(f.rule()).append("] ").append(f.title()).append('\n');
        sb.append("      id: ").append(f.id()).append("   confidence: ").append(f.confidence().json()).append('\n');
        if (f.impact().get("monthly_saving") instanceof Number n) {
          sb.append(String.format("      saves %s %s/month (%s)%n", n.doubleValue() < 0.005 ? "<0.01" : String.format("%.2f", n.doubleValue()), f.impact().get("currency"), f.impact().get("price_table")));
        } else if (f.impact().get("monthly_cost") instanceof Number n) {
          sb.append(String.format("      costs %s %s/month of storage (%s)%n", n.doubleValue() < 0.005 ? "<0.01" : String.format("%.2f", n.doubleValue()), f.impact().get("currency"), f.impact().get("price_table")));
        }
        if (f.action() != null) {
          for (String line : f.action().sql().split("\n")) {
            sb.append("      ").append(line).append('\n');
          }
          sb.append("      (").append(f.action().online() ? "online" : "NOT online").append(", locks: ").append(f.action().locks())
              .append(", risk: ").append(f.action().risk()).append(f.action().undoSql() != null ? ", undo available" : "")
              .append(")\n");
        } else if (f.evidence().get("suggestion") != null) {
          sb.append("      → ").append(f.evidence().get("suggestion")).append('\n');
        }
      }
    }
    if (advice.findings().isEmpty()) {
      sb.append("\nNothing to advise: no rule found evidence of a problem.\n");
    }
    if (!advice.notes().isEmpty()) {
      sb.append("\nNotes:\n");
      advice.notes().forEach(n -> sb.append("  ").append(n).append('\n'));
    }
    return sb.toString();
  }

  private static long count(List<Finding> findings, Finding.Severity s) {
    return findings.stream().filter(f -> f.severity() == s).count();
  }
}
