package dev.pgopt.analyze.workload;

import dev.pgopt.collect.StatementCounters;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** The statements of a window ranked by one measure, with each one's share of the window's total execution time. */
public record TopStatements(WorkloadWindow window, SortKey sort, double totalExecMs, long totalCalls, List<Ranked> statements) {

  /** What to rank by. */
  public enum SortKey {
    TOTAL_TIME(StatementCounters::totalExecMs),
    MEAN_TIME(StatementCounters::meanExecMs),
    CALLS(c -> c.calls()),
    ROWS(c -> c.rows()),
    SHARED_READ(c -> c.sharedBlksRead()),
    SHARED_HIT(c -> c.sharedBlksHit()),
    TEMP(c -> c.tempBlks());

    private final ToDoubleFunction<StatementCounters> measure;

    SortKey(ToDoubleFunction<StatementCounters> measure) {
      this.measure = measure;
    }

    /** The flag value, e.g. total-time. */
    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static SortKey parse(String s) {
      for (SortKey k : values()) {
        if (k.label().equals(s)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown sort '" + s + "': use total-time, mean-time, calls, rows, shared-read, shared-hit or temp");
    }
  }

  /** A statement with its rank and share of the window's total execution time, in percent. */
  public record Ranked(int rank, StatementDelta delta, double sharePercent) {}

  public static TopStatements of(WorkloadWindow window, SortKey sort, int limit) {
    double total = window.deltas().stream().mapToDouble(d -> d.counters().totalExecMs()).sum();
    long calls = window.deltas().stream().mapToLong(d -> d.counters().calls()).sum();
    List<StatementDelta> sorted = window.deltas().stream()
        .sorted(Comparator.comparingDouble((StatementDelta d) -> sort.measure.applyAsDouble(d.counters())).reversed()
            .thenComparingLong(d -> d.entry().queryId()))
        .limit(limit)
        .toList();
    List<Ranked> ranked = new java.util.ArrayList<>();
    for (int i = 0; i < sorted.size(); i++) {
      StatementDelta d = sorted.get(i);
      ranked.add(new Ranked(i + 1, d, total == 0 ? 0 : 100 * d.counters().totalExecMs() / total));
    }
    return new TopStatements(window, sort, total, calls, ranked);
  }
}
