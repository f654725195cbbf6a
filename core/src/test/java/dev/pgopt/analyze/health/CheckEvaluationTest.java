package dev.pgopt.analyze.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.analyze.health.checks.BlockedQueriesCheck;
import dev.pgopt.analyze.health.checks.CacheHitRatioCheck;
import dev.pgopt.analyze.health.checks.ConnectionsCheck;
import dev.pgopt.analyze.health.checks.DeadTuplesCheck;
import dev.pgopt.analyze.health.checks.ExtensionsCheck;
import dev.pgopt.analyze.health.checks.ReplicationCheck;
import dev.pgopt.analyze.health.checks.SequencesCheck;
import dev.pgopt.analyze.health.checks.ServerCheck;
import dev.pgopt.analyze.health.checks.SettingsCheck;
import dev.pgopt.analyze.health.checks.XidWraparoundCheck;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The evaluation half of each check, on plain data. */
class CheckEvaluationTest {
  private final Thresholds defaults = Thresholds.defaults(HealthChecker.standardThresholds());

  @Test
  void connectionsCountAgainstTheSlotsOrdinaryRolesCanUse() {
    // 100 max, 3 superuser-reserved: 97 usable; 68 used is 70.1 %
    CheckResult r = ConnectionsCheck.evaluate(new ConnectionsCheck.Facts(Map.of("active", 8L, "idle", 60L), 100, 3, 0), defaults);
    assertThat(r.status()).isEqualTo(Status.WARNING);
    assertThat((double) r.value()).isEqualTo(70.1);
    assertThat(r.fix()).contains("pooler");
    assertThat(ConnectionsCheck.evaluate(new ConnectionsCheck.Facts(Map.of("active", 88L), 100, 3, 0), defaults).status())
        .isEqualTo(Status.CRITICAL);
    assertThat(ConnectionsCheck.evaluate(new ConnectionsCheck.Facts(Map.of("active", 10L), 100, 3, 0), defaults).status())
        .isEqualTo(Status.OK);
  }

  @Test
  void thresholdsAreConfigurableAndCanBeSwitchedOff() {
    Thresholds t = defaults.with("connections.warning", "5").with("connections.critical", "off");
    CheckResult r = ConnectionsCheck.evaluate(new ConnectionsCheck.Facts(Map.of("active", 95L), 100, 3, 0), t);
    assertThat(r.status()).isEqualTo(Status.WARNING);
    assertThat(r.threshold().critical()).isNull();
    assertThatThrownBy(() -> defaults.with("connection.warning", "5")).hasMessageContaining("unknown threshold 'connection.warning'");
    assertThatThrownBy(() -> defaults.with("long_running_queries.warning", "soon")).hasMessageContaining("not a duration");
    assertThat(defaults.with("long_running_queries.warning", "90s").require("long_running_queries.warning")).isEqualTo(90);
    assertThat(defaults.with("replication.slot_retained_warning", "2GB").require("replication.slot_retained_warning"))
        .isEqualTo(2.0 * 1024 * 1024 * 1024);
  }

  @Test
  void blockedChainsLeadToTheRootBlocker() {
    // 30 waits on 20, which waits on 10 (idle in transaction); 40 also waits on 10
    List<BlockedQueriesCheck.Backend> backends = List.of(
        new BlockedQueriesCheck.Backend(30, List.of(20), "app", "active", 75, 75, "UPDATE t"),
        new BlockedQueriesCheck.Backend(20, List.of(10), "app", "active", 80, 80, "ALTER TABLE t"),
        new BlockedQueriesCheck.Backend(40, List.of(10), "app", "active", 5, 5, "SELECT"),
        new BlockedQueriesCheck.Backend(10, List.of(), "app", "idle in transaction", 0, 300, "UPDATE t"));
    Map<Integer, BlockedQueriesCheck.Backend> byPid = new HashMap<>();
    backends.forEach(b -> byPid.put(b.pid(), b));
    assertThat(BlockedQueriesCheck.chain(30, byPid)).containsExactly(30, 20, 10);
    CheckResult r = BlockedQueriesCheck.evaluate(backends, defaults);
    assertThat(r.status()).isEqualTo(Status.CRITICAL);
    assertThat(r.message()).contains("20 ← 10").contains("idle in transaction");
    assertThat(r.fix()).contains("pg_terminate_backend(10)");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> roots = (List<Map<String, Object>>) r.details().get("root_blockers");
    assertThat(roots).singleElement().satisfies(m -> assertThat(m).containsEntry("pid", 10).containsEntry("blocks", 3));
  }

  @Test
  void blockedChainStopsOnACycle() {
    Map<Integer, BlockedQueriesCheck.Backend> byPid = Map.of(
        1, new BlockedQueriesCheck.Backend(1, List.of(2), "a", "active", 1, 1, "x"),
        2, new BlockedQueriesCheck.Backend(2, List.of(1), "a", "active", 1, 1, "y"));
    assertThat(BlockedQueriesCheck.chain(1, byPid)).containsExactly(1, 2);
  }

  @Test
  void aBigintSequenceFeedingAnIntegerColumnEndsAtTheColumnsLimit() {
    SequencesCheck.Sequence s = new SequencesCheck.Sequence("public", "orders_id_seq", 1, Long.MAX_VALUE, 1, false,
        2_000_000_000L, true, "integer", "public.orders.id", new SequencesCheck.Sequence.Owner("public", "orders", "id"));
    assertThat(s.effectiveLimit()).isEqualTo(Integer.MAX_VALUE);
    CheckResult r = SequencesCheck.evaluate(List.of(s), defaults);
    assertThat(r.status()).isEqualTo(Status.CRITICAL);
    assertThat(r.fix()).contains("bigint");
    SequencesCheck.Sequence cycling = new SequencesCheck.Sequence("public", "ring", 1, 100, 1, true, 99L, true, "bigint", null, null);
    SequencesCheck.Sequence hidden = new SequencesCheck.Sequence("app", "secret_seq", 1, 100, 1, false, null, false, null, null, null);
    CheckResult r2 = SequencesCheck.evaluate(List.of(cycling, hidden), defaults);
    assertThat(r2.status()).isEqualTo(Status.OK);
    assertThat(r2.message()).contains("1 sequences not readable");
    assertThat(r2.fix()).contains("GRANT SELECT ON ALL SEQUENCES");
  }

  @Test
  void descendingSequencesCountTowardsTheirMinimum() {
    SequencesCheck.Sequence down = new SequencesCheck.Sequence("public", "down", -32768, -1, -1, false, -30000L, true, "smallint", "public.t.id",
        new SequencesCheck.Sequence.Owner("public", "t", "id"));
    assertThat(down.effectiveLimit()).isEqualTo(-32768);
    assertThat(down.usedPercent()).isGreaterThan(90);
  }

  @Test
  void deadTuplesShareAgainstAutovacuumsTrigger() {
    DeadTuplesCheck.Table t = new DeadTuplesCheck.Table("public", "events", 10_000, 15_000, null, null, false);
    CheckResult r = DeadTuplesCheck.evaluate(List.of(t), defaults);
    assertThat(r.status()).isEqualTo(Status.CRITICAL);
    assertThat(r.message()).contains("last vacuum never").contains("autovacuum disabled");
  }

  @Test
  void xidAgeAgainstFreezeMaxAgeAndTheWraparoundHorizon() {
    XidWraparoundCheck.Facts young = new XidWraparoundCheck.Facts(List.of(new XidWraparoundCheck.Database("app", 150_000_000, 10)),
        List.of(), 200_000_000, 400_000_000);
    assertThat(XidWraparoundCheck.evaluate(young, defaults).status()).isEqualTo(Status.OK);
    XidWraparoundCheck.Facts behind = new XidWraparoundCheck.Facts(List.of(new XidWraparoundCheck.Database("app", 300_000_000, 10)),
        List.of(new XidWraparoundCheck.Table("public", "big", 300_000_000)), 200_000_000, 400_000_000);
    assertThat(XidWraparoundCheck.evaluate(behind, defaults).status()).isEqualTo(Status.WARNING);
    XidWraparoundCheck.Facts danger = new XidWraparoundCheck.Facts(List.of(new XidWraparoundCheck.Database("app", 1_500_000_000, 10)),
        List.of(), 200_000_000, 400_000_000);
    assertThat(XidWraparoundCheck.evaluate(danger, defaults).status()).isEqualTo(Status.CRITICAL);
  }

  @Test
  void inactiveSlotsAndLaggingStandbys() {
    ReplicationCheck.Facts f = new ReplicationCheck.Facts(false,
        List.of(new ReplicationCheck.Standby("replica1", "10.0.0.2", "streaming", "async", 300L * 1024 * 1024, 2.0, 0.1, 0.2)),
        List.of(new ReplicationCheck.Slot("old_consumer", "physical", false, "extended", 4096L)), null);
    CheckResult r = ReplicationCheck.evaluate(f, defaults);
    assertThat(r.status()).isEqualTo(Status.WARNING);
    assertThat(r.message()).contains("standby replica1").contains("inactive slot old_consumer");
    ReplicationCheck.Facts lost = new ReplicationCheck.Facts(false, List.of(),
        List.of(new ReplicationCheck.Slot("gone", "logical", true, "lost", null)), null);
    assertThat(ReplicationCheck.evaluate(lost, defaults).status()).isEqualTo(Status.CRITICAL);
    ReplicationCheck.Facts none = new ReplicationCheck.Facts(false, List.of(), List.of(), null);
    assertThat(ReplicationCheck.evaluate(none, defaults).message()).isEqualTo("no standbys and no replication slots");
  }

  @Test
  void endOfLifeDependsOnTheInjectedClock() {
    ServerCheck.Facts pg14 = new ServerCheck.Facts("PostgreSQL 14.19", 140019, 3600, false, "app", true);
    Clock before = Clock.fixed(Instant.parse("2026-11-01T00:00:00Z"), ZoneOffset.UTC);
    Clock after = Clock.fixed(Instant.parse("2026-11-22T00:00:00Z"), ZoneOffset.UTC);
    assertThat(ServerCheck.evaluate(pg14, before).status()).isEqualTo(Status.OK);
    CheckResult r = ServerCheck.evaluate(pg14, after);
    assertThat(r.status()).isEqualTo(Status.WARNING);
    assertThat(r.message()).contains("past end of life since 2026-11-12");
  }

  @Test
  void settingsThatBlindOrEndangerTheServer() {
    CheckResult r = SettingsCheck.evaluate(List.of(new SettingsCheck.Setting("autovacuum", "off", "off"),
        new SettingsCheck.Setting("shared_preload_libraries", "", ""),
        new SettingsCheck.Setting("track_io_timing", "off", "off")));
    assertThat(r.status()).isEqualTo(Status.CRITICAL);
    assertThat(r.message()).contains("autovacuum = off").contains("shared_preload_libraries = ''");
    CheckResult advised = SettingsCheck.evaluate(List.of(new SettingsCheck.Setting("track_io_timing", "off", "off")));
    assertThat(advised.status()).isEqualTo(Status.OK);
    assertThat(advised.fix()).contains("track_io_timing = on");
  }

  @Test
  void missingExtensionsNeverFailTheReport() {
    CheckResult r = ExtensionsCheck.evaluate(List.of(new ExtensionsCheck.Extension("pg_stat_statements", null, null),
        new ExtensionsCheck.Extension("vector", "0.8.0", null), new ExtensionsCheck.Extension("hypopg", "1.4.1", "1.3.1")), "");
    assertThat(r.status()).isEqualTo(Status.OK);
    assertThat(r.fix()).contains("install pg_stat_statements").contains("CREATE EXTENSION vector").contains("ALTER EXTENSION hypopg UPDATE");
    CheckResult notLoaded = ExtensionsCheck.evaluate(List.of(new ExtensionsCheck.Extension("pg_stat_statements", "1.10", "1.10")), "auto_explain");
    assertThat(notLoaded.status()).isEqualTo(Status.WARNING);
  }

  @Test
  void cacheHitRatioWaitsForEnoughReads() {
    CacheHitRatioCheck.Blocks few = new CacheHitRatioCheck.Blocks(10, 90);
    assertThat(CacheHitRatioCheck.evaluate(new CacheHitRatioCheck.Facts(few, few, few), defaults).status()).isEqualTo(Status.OK);
    CacheHitRatioCheck.Blocks poor = new CacheHitRatioCheck.Blocks(70_000, 30_000);
    CacheHitRatioCheck.Blocks good = new CacheHitRatioCheck.Blocks(99_000, 1_000);
    CheckResult r = CacheHitRatioCheck.evaluate(new CacheHitRatioCheck.Facts(good, poor, good), defaults);
    assertThat(r.status()).isEqualTo(Status.CRITICAL);
    assertThat((double) r.value()).isEqualTo(70.0);
  }

  @Test
  void overallStatusIgnoresChecksThatCouldNotRun() {
    CheckResult ok = new CheckResult("a", Status.OK, 1, "1", Threshold.none(), "m", null, Map.of());
    CheckResult unknown = CheckResult.unknown("b", "no access", null);
    CheckResult warn = new CheckResult("c", Status.WARNING, 1, "1", Threshold.none(), "m", null, Map.of());
    assertThat(new HealthReport("t", "u", Map.of(), List.of(ok, unknown), List.of()).status()).isEqualTo("healthy");
    HealthReport w = new HealthReport("t", "u", Map.of(), List.of(ok, unknown, warn), List.of());
    assertThat(w.status()).isEqualTo("warning");
    assertThat(w.exitCode()).isEqualTo(1);
  }

  @Test
  void everyThresholdHasAReasonAndAKeyOfItsCheck() {
    for (HealthCheck c : HealthChecker.standardChecks()) {
      for (ThresholdDefinition d : c.thresholds()) {
        assertThat(d.key()).startsWith(c.name() + ".");
        assertThat(d.reason()).isNotBlank();
      }
    }
    assertThat(HealthChecker.standardChecks()).extracting(HealthCheck::name).containsExactly("server", "connections",
        "idle_in_transaction", "long_running_queries", "blocked_queries", "cache_hit_ratio", "database_size", "dead_tuples",
        "xid_wraparound", "sequences", "replication", "invalid_indexes", "extensions", "settings");
  }
}
