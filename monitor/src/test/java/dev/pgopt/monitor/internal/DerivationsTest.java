package dev.pgopt.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.monitor.internal.collect.ActivitySnapshot;
import dev.pgopt.monitor.internal.collect.ActivitySnapshot.SessionRow;
import dev.pgopt.monitor.internal.collect.Derivations;
import dev.pgopt.monitor.internal.collect.Series;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rates, resets and the slow-query count, on plain snapshots. */
class DerivationsTest {
  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  static final Instant RESET = Instant.parse("2026-11-01T00:00:00Z");

  static ActivitySnapshot snap(Instant at, long commits, long rollbacks, long hits, long reads, Instant reset, List<SessionRow> sessions) {
    return new ActivitySnapshot(at, sessions, new ActivitySnapshot.DatabaseCounters(commits, rollbacks, hits, reads, 0, 0, 0, 0, 0, 0, 0, reset),
        100, 3, false, 1000, List.of(), null, null);
  }

  static SessionRow session(int pid, String app, String state, Instant queryStart) {
    return new SessionRow(pid, "shop", app, null, state, null, null, "client backend", queryStart, queryStart, queryStart,
        List.of(), false, "SELECT 1", "app", app.equals("pgopt-monitor"));
  }

  @Test
  void ratesComeFromTwoSnapshotsOfTheSameEpoch() {
    ActivitySnapshot a = snap(T0, 1000, 10, 9000, 1000, RESET, List.of());
    ActivitySnapshot b = snap(T0.plusSeconds(10), 1090, 20, 18_500, 1500, RESET, List.of());
    Map<Series, Double> v = Derivations.activity(a, b, 0);
    assertThat(v.get(Series.TRANSACTIONS_PER_SECOND)).isEqualTo(10.0);
    assertThat(v.get(Series.ROLLBACK_PERCENT)).isEqualTo(10.0);
    assertThat(v.get(Series.CACHE_HIT_PERCENT)).isEqualTo(95.0);
  }

  @Test
  void aStatisticsResetSkipsTheInterval() {
    ActivitySnapshot a = snap(T0, 1000, 10, 9000, 1000, RESET, List.of());
    ActivitySnapshot movedReset = snap(T0.plusSeconds(10), 5, 0, 10, 0, T0.plusSeconds(5), List.of());
    ActivitySnapshot wentDown = snap(T0.plusSeconds(10), 900, 10, 9000, 1000, RESET, List.of());
    assertThat(Derivations.activity(a, movedReset, 0)).doesNotContainKeys(Series.TRANSACTIONS_PER_SECOND, Series.ROLLBACK_PERCENT);
    assertThat(Derivations.activity(a, wentDown, 0)).doesNotContainKey(Series.TRANSACTIONS_PER_SECOND);
  }

  @Test
  void connectionUsageCountsAllClientsButFiguresLeavePgoptOut() {
    ActivitySnapshot s = snap(T0, 0, 0, 0, 0, RESET, List.of(session(1, "shop", "active", T0.minusSeconds(30)),
        session(2, "pgopt-monitor", "active", T0.minusSeconds(600)), session(3, "shop", "idle in transaction", T0.minusSeconds(5))));
    Map<Series, Double> v = Derivations.activity(null, s, 0);
    assertThat(v.get(Series.CONNECTIONS)).isEqualTo(3.0);
    assertThat(v.get(Series.CONNECTION_USAGE_PERCENT)).isCloseTo(100.0 * 3 / 97, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(v.get(Series.LONGEST_QUERY_SECONDS)).as("pgopt's own session is not the longest query").isEqualTo(30.0);
    assertThat(v.get(Series.CONNECTIONS_IDLE_IN_TRANSACTION)).isEqualTo(1.0);
    assertThat(v).doesNotContainKey(Series.TRANSACTIONS_PER_SECOND);
  }

  @Test
  void aSlowStatementIsCountedOnceHoweverManySamplesSeeIt() {
    Derivations.SlowQueryTracker tracker = new Derivations.SlowQueryTracker();
    Instant start = T0.minusSeconds(5);
    assertThat(tracker.observe(snap(T0, 0, 0, 0, 0, RESET, List.of(session(7, "shop", "active", start))), Duration.ofSeconds(1))).isEqualTo(1);
    assertThat(tracker.observe(snap(T0.plusSeconds(15), 0, 0, 0, 0, RESET, List.of(session(7, "shop", "active", start))), Duration.ofSeconds(1))).isZero();
    assertThat(tracker.observe(snap(T0.plusSeconds(30), 0, 0, 0, 0, RESET, List.of(session(7, "shop", "active", T0.plusSeconds(20)))),
        Duration.ofSeconds(1))).as("a new statement on the same backend").isEqualTo(1);
  }

  @Test
  void transactionControlAndPgoptsOwnStatementsAreNotWorkload() {
    assertThat(Derivations.isWorkload("SELECT * FROM orders WHERE id = $1")).isTrue();
    assertThat(Derivations.isWorkload("SELECT set_config($1, $2, true)")).isTrue();
    assertThat(Derivations.isWorkload("BEGIN READ ONLY")).isFalse();
    assertThat(Derivations.isWorkload("SAVEPOINT JDBC_SAVEPOINT_3")).isFalse();
    assertThat(Derivations.isWorkload("SET application_name = 'x'")).isFalse();
    assertThat(Derivations.isWorkload("/* pgopt:monitor */ SELECT 1")).isFalse();
    assertThat(Derivations.isWorkload("settle_invoice()")).as("a word starting like SET").isTrue();
  }
}
