package dev.pgopt.analyze.workload;

import dev.pgopt.collect.StatementCounters;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.collect.StatementSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The statements' activity between two snapshots, without resetting anything. Survives what pg_stat_statements does
 * behind our back: a reset of the whole view (stats_reset moved), a reset of single entries (counters went down), and
 * evictions when more than pg_stat_statements.max statements compete (dealloc grew). What cannot be recovered is said
 * in {@link #notes()}.
 *
 * @param from null for "since the statistics were last reset" (cumulative)
 */
public record WorkloadWindow(Instant from, Instant to, Instant statsReset, List<StatementDelta> deltas, List<String> notes) {

  public Duration length() {
    return from == null ? null : Duration.between(from, to);
  }

  /** Everything since pg_stat_statements was last reset. */
  public static WorkloadWindow cumulative(StatementSnapshot now) {
    List<StatementDelta> deltas = now.entries().stream().map(e -> new StatementDelta(e, e.counters(), false)).toList();
    return new WorkloadWindow(null, now.takenAt(), now.statsReset(), deltas, new ArrayList<>());
  }

  public static WorkloadWindow between(StatementSnapshot before, StatementSnapshot after) {
    if (before.dbId() != after.dbId() || !before.database().equals(after.database())) {
      throw new IllegalArgumentException("the snapshot is of database " + before.database() + ", not " + after.database());
    }
    if (!before.takenAt().isBefore(after.takenAt())) {
      throw new IllegalArgumentException("the snapshot was taken at " + before.takenAt() + ", not before " + after.takenAt());
    }
    List<String> notes = new ArrayList<>();
    boolean wholeReset = after.statsReset() != null && before.statsReset() != null && after.statsReset().isAfter(before.statsReset());
    if (wholeReset) {
      notes.add("pg_stat_statements was reset at " + after.statsReset() + ", inside the window: figures start there");
    }
    Map<StatementEntry.Key, StatementEntry> earlier = new HashMap<>();
    if (!wholeReset) {
      before.entries().forEach(e -> earlier.put(e.key(), e));
    }
    List<StatementDelta> deltas = new ArrayList<>();
    int restarted = 0;
    for (StatementEntry e : after.entries()) {
      StatementEntry old = earlier.remove(e.key());
      if (old != null && e.counters().continues(old.counters())) {
        StatementCounters d = e.counters().minus(old.counters());
        if (d.calls() > 0) {
          deltas.add(new StatementDelta(e, d, false));
        }
      } else {
        if (old != null) {
          restarted++;
        }
        if (e.counters().calls() > 0) {
          deltas.add(new StatementDelta(e, e.counters(), !wholeReset));
        }
      }
    }
    if (restarted > 0) {
      notes.add(restarted + " statements were reset or evicted and re-added inside the window: they count from their new start");
    }
    if (!earlier.isEmpty()) {
      notes.add(earlier.size() + " statements seen at the start are gone (evicted or reset): their activity in the window is not counted");
    }
    if (before.deallocations() != null && after.deallocations() != null && after.deallocations() > before.deallocations() && !wholeReset) {
      notes.add("pg_stat_statements evicted entries " + (after.deallocations() - before.deallocations())
          + " times inside the window: figures for rare statements are lower bounds; raise pg_stat_statements.max"
          + (after.maxEntries() == null ? "" : " (now " + after.maxEntries() + ")"));
    }
    return new WorkloadWindow(before.takenAt(), after.takenAt(), after.statsReset(), deltas, notes);
  }
}
