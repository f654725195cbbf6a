package dev.pgopt.advise.rules;

import dev.pgopt.collect.PlanCollector;
import dev.pgopt.collect.StatementEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Which part of the workload's execution time the index search saw, and why the rest was left out: every statement is
 * accounted for, so a user can tell whether the advice covers what is slow.
 */
final class WorkloadCoverage {
  private static final int LISTED = 10;

  private record Left(StatementEntry entry, String why) {}

  private final double totalMs;
  private final double utilityMs;
  private final int utility;
  private final int statements;
  private double plannedMs;
  private int planned;
  private final List<Left> notPlanned = new ArrayList<>();

  WorkloadCoverage(Collection<StatementEntry> all) {
    double total = 0;
    double util = 0;
    int u = 0;
    for (StatementEntry e : all) {
      total += e.counters().totalExecMs();
      if (!PlanCollector.plannable(e.query())) {
        util += e.counters().totalExecMs();
        u++;
      }
    }
    this.totalMs = total;
    this.utilityMs = util;
    this.utility = u;
    this.statements = all.size();
  }

  void planned(StatementEntry e) {
    planned++;
    plannedMs += e.counters().totalExecMs();
  }

  void notPlanned(StatementEntry e, String why) {
    notPlanned.add(new Left(e, why));
  }

  String describe() {
    StringBuilder sb = new StringBuilder("index.missing: planned ").append(planned).append(" of ").append(statements)
        .append(" statements, ").append(pct(plannedMs)).append(" of the workload's execution time");
    double leftMs = 0;
    for (Left l : notPlanned) {
      leftMs += l.entry().counters().totalExecMs();
    }
    if (!notPlanned.isEmpty()) {
      sb.append("; could not plan ").append(notPlanned.size()).append(" (").append(pct(leftMs)).append("):");
      for (int i = 0; i < Math.min(LISTED, notPlanned.size()); i++) {
        Left l = notPlanned.get(i);
        sb.append(i == 0 ? " " : "; ").append("queryid ").append(l.entry().queryId()).append(" (")
            .append(pct(l.entry().counters().totalExecMs())).append("): ").append(l.why());
      }
      if (notPlanned.size() > LISTED) {
        sb.append("; and ").append(notPlanned.size() - LISTED).append(" more");
      }
    }
    if (utility > 0) {
      sb.append("; ").append(utility).append(" utility statements (COPY, DDL, VACUUM, ...) are not plans (")
          .append(pct(utilityMs)).append(")");
    }
    double rest = totalMs - plannedMs - leftMs - utilityMs;
    int restCount = statements - planned - notPlanned.size() - utility;
    if (restCount > 0) {
      sb.append("; ").append(restCount).append(" statements beyond the most expensive ones searched (")
          .append(pct(Math.max(0, rest))).append(")");
    }
    return sb.toString();
  }

  private String pct(double ms) {
    return totalMs <= 0 ? "0 %" : String.format(Locale.ROOT, "%.1f %%", 100 * ms / totalMs);
  }
}
