package dev.pgopt.monitor.internal.maintenance;

import dev.pgopt.advise.Advisor;
import dev.pgopt.analyze.health.HealthReport;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.monitor.internal.collect.ActivitySnapshot;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** What maintenance tasks may do to one target. */
public interface MaintenanceTarget {
  String name();

  HealthReport health() throws DatabaseFailure;

  /** Runs the advisor; the findings become the target's latest (API, dashboard). */
  Advisor.Advice advise() throws DatabaseFailure;

  /** Tables whose rows changed by more than {@code fraction} since their last ANALYZE, most changed first. */
  List<String> staleTables(double fraction, int limit) throws DatabaseFailure;

  /** Runs one maintenance statement outside a transaction, under {@code timeout} and a short lock timeout. */
  void execute(String sql, Duration timeout) throws DatabaseFailure;

  ActivitySnapshot activity() throws DatabaseFailure;

  /**
   * The partitions {@code table} lacks up to {@code premake} intervals ahead, made when {@code make}; empty when the
   * target has no such partitioned table.
   */
  Optional<dev.pgopt.lifecycle.PartitionMaintenance.Plan> partitions(String table, int premake, boolean make) throws DatabaseFailure;

  /** The target's backups, when its configuration has a {@code backup} section. */
  Optional<TargetBackups> backups();
}
