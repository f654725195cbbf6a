package dev.pgopt.cli.internal;

import dev.pgopt.analyze.health.Units;
import dev.pgopt.analyze.workload.TopStatements;
import dev.pgopt.analyze.workload.WorkloadWindow;
import dev.pgopt.collect.StatementCounters;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/** {@code pgopt queries} as a table for people. */
public final class HumanQueries {
  private HumanQueries() {}

  public static String render(TopStatements top, String target, Instant now, int width) {
    StringBuilder sb = new StringBuilder();
    WorkloadWindow w = top.window();
    String window = w.from() == null
        ? "since the statistics were reset" + (w.statsReset() == null ? "" : " at " + w.statsReset().truncatedTo(ChronoUnit.SECONDS)
            + " (" + Units.seconds(Duration.between(w.statsReset(), now).toSeconds()) + " ago)")
        : "the last " + Units.seconds(w.length().toMillis() / 1000.0) + " (" + w.from().truncatedTo(ChronoUnit.SECONDS)
            + " to " + w.to().truncatedTo(ChronoUnit.SECONDS) + ")";
    sb.append("pgopt queries  ").append(target).append('\n');
    sb.append("               ").append(window).append(": ").append(Units.count(top.totalCalls())).append(" calls, ")
        .append(Units.seconds(top.totalExecMs() / 1000)).append(" executing; sorted by ").append(top.sort().label()).append("\n\n");
    if (top.statements().isEmpty()) {
      sb.append("  no statements ran in this window\n");
    } else {
      sb.append(String.format(Locale.ROOT, "  %3s  %9s  %6s  %9s  %10s  %10s  %10s  %8s  %s%n", "#", "TOTAL", "SHARE", "CALLS",
          "MEAN", "ROWS", "READ", "TEMP", "QUERY"));
      for (TopStatements.Ranked r : top.statements()) {
        StatementCounters c = r.delta().counters();
        sb.append(String.format(Locale.ROOT, "  %3d  %9s  %5.1f%%  %9s  %10s  %10s  %10s  %8s  %s%s%n", r.rank(),
            millis(c.totalExecMs()), r.sharePercent(), Units.count(c.calls()), millis(c.meanExecMs()), Units.count(c.rows()),
            Units.count(c.sharedBlksRead()), Units.count(c.tempBlks()),
            width > 0 ? Units.truncate(r.delta().entry().query(), width) : r.delta().entry().query().replaceAll("\\s+", " ").strip(),
            r.delta().sinceEntry() ? "  (new in window)" : ""));
      }
      sb.append("\n  READ and TEMP are blocks (8 kB) read from outside shared buffers and spilled to temporary files.\n");
    }
    if (!w.notes().isEmpty()) {
      sb.append("\nNotes:\n");
      w.notes().forEach(n -> sb.append("  ").append(n).append('\n'));
    }
    return sb.toString();
  }

  private static String millis(double ms) {
    if (ms >= 10_000) {
      return Units.seconds(ms / 1000);
    }
    return String.format(Locale.ROOT, ms >= 100 ? "%.0f ms" : "%.2f ms", ms);
  }
}
