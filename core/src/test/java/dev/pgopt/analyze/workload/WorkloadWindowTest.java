package dev.pgopt.analyze.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.collect.StatementCounters;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.collect.StatementSnapshot;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Deltas between snapshots on plain data: resets, evictions and re-entries. */
class WorkloadWindowTest {
  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  private static final Instant T1 = Instant.parse("2026-11-22T10:01:00Z");
  private static final Instant RESET = Instant.parse("2026-11-01T00:00:00Z");

  private static StatementEntry entry(long queryId, long calls, double ms) {
    return new StatementEntry(10, 1, queryId, true, "app", "SELECT " + queryId,
        new StatementCounters(calls, ms, calls, calls * 3, calls, 0, 0, 0, 0, 0));
  }

  private static StatementSnapshot snap(Instant at, Instant reset, long dealloc, StatementEntry... entries) {
    return new StatementSnapshot(at, "app", 1, 150000, reset, dealloc, 5000L, List.of(entries));
  }

  @Test
  void subtractsCountersOfEntriesPresentInBoth() {
    WorkloadWindow w = WorkloadWindow.between(snap(T0, RESET, 0, entry(1, 100, 1000), entry(2, 10, 50)),
        snap(T1, RESET, 0, entry(1, 150, 1600), entry(2, 10, 50), entry(3, 4, 8)));
    assertThat(w.deltas()).extracting(d -> d.entry().queryId(), d -> d.counters().calls(), StatementDelta::sinceEntry)
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(1L, 50L, false), org.assertj.core.groups.Tuple.tuple(3L, 4L, true));
    assertThat(w.deltas().stream().filter(d -> d.entry().queryId() == 1).findFirst().orElseThrow().counters().totalExecMs())
        .isEqualTo(600);
    assertThat(w.notes()).isEmpty();
    assertThat(w.length().toSeconds()).isEqualTo(60);
  }

  @Test
  void aResetOfTheWholeViewStartsTheCountsThere() {
    Instant later = Instant.parse("2026-11-22T10:00:30Z");
    WorkloadWindow w = WorkloadWindow.between(snap(T0, RESET, 0, entry(1, 100, 1000)), snap(T1, later, 0, entry(1, 7, 70)));
    assertThat(w.deltas()).singleElement().satisfies(d -> {
      assertThat(d.counters().calls()).isEqualTo(7);
      assertThat(d.sinceEntry()).isFalse();
    });
    assertThat(w.notes()).singleElement().asString().contains("was reset at 2026-11-22T10:00:30Z");
  }

  @Test
  void anEntryWhoseCountersWentDownWasResetOrReAdded() {
    WorkloadWindow w = WorkloadWindow.between(snap(T0, RESET, 0, entry(1, 100, 1000), entry(2, 5, 5)),
        snap(T1, RESET, 3, entry(1, 20, 200)));
    assertThat(w.deltas()).singleElement().satisfies(d -> {
      assertThat(d.counters().calls()).isEqualTo(20);
      assertThat(d.sinceEntry()).isTrue();
    });
    assertThat(w.notes()).hasSize(3);
    assertThat(String.join("\n", w.notes())).contains("1 statements were reset or evicted and re-added")
        .contains("1 statements seen at the start are gone").contains("evicted entries 3 times").contains("now 5000");
  }

  @Test
  void refusesASnapshotOfAnotherDatabaseOrFromTheFuture() {
    StatementSnapshot other = new StatementSnapshot(T0, "shop", 2, 150000, RESET, 0L, 5000L, List.of());
    assertThatThrownBy(() -> WorkloadWindow.between(other, snap(T1, RESET, 0))).hasMessageContaining("of database shop, not app");
    assertThatThrownBy(() -> WorkloadWindow.between(snap(T1, RESET, 0), snap(T0, RESET, 0))).hasMessageContaining("not before");
  }

  @Test
  void ranksByTheChosenMeasureWithShareOfTotalTime() {
    WorkloadWindow w = WorkloadWindow.cumulative(snap(T1, RESET, 0, entry(1, 1000, 100), entry(2, 10, 300), entry(3, 1, 600)));
    TopStatements byTotal = TopStatements.of(w, TopStatements.SortKey.TOTAL_TIME, 2);
    assertThat(byTotal.statements()).extracting(r -> r.delta().entry().queryId()).containsExactly(3L, 2L);
    assertThat(byTotal.statements().get(0).sharePercent()).isEqualTo(60.0);
    assertThat(byTotal.totalCalls()).isEqualTo(1011);
    assertThat(TopStatements.of(w, TopStatements.SortKey.CALLS, 3).statements()).extracting(r -> r.delta().entry().queryId())
        .containsExactly(1L, 2L, 3L);
    assertThat(TopStatements.of(w, TopStatements.SortKey.MEAN_TIME, 1).statements().get(0).delta().entry().queryId()).isEqualTo(3L);
    assertThatThrownBy(() -> TopStatements.SortKey.parse("speed")).hasMessageContaining("unknown sort 'speed'");
  }
}
