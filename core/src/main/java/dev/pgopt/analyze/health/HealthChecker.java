package dev.pgopt.analyze.health;

import dev.pgopt.analyze.health.checks.BlockedQueriesCheck;
import dev.pgopt.analyze.health.checks.CacheHitRatioCheck;
import dev.pgopt.analyze.health.checks.ConnectionsCheck;
import dev.pgopt.analyze.health.checks.DatabaseSizeCheck;
import dev.pgopt.analyze.health.checks.DeadTuplesCheck;
import dev.pgopt.analyze.health.checks.ExtensionsCheck;
import dev.pgopt.analyze.health.checks.IdleInTransactionCheck;
import dev.pgopt.analyze.health.checks.InvalidIndexesCheck;
import dev.pgopt.analyze.health.checks.LongRunningQueriesCheck;
import dev.pgopt.analyze.health.checks.ReplicationCheck;
import dev.pgopt.analyze.health.checks.SequencesCheck;
import dev.pgopt.analyze.health.checks.ServerCheck;
import dev.pgopt.analyze.health.checks.SettingsCheck;
import dev.pgopt.analyze.health.checks.XidWraparoundCheck;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.Sql;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the health checks, each in its own short read-only transaction so one failing check cannot spoil the
 * others. A statement timeout or a lost connection ends the run: the report would be misleading.
 */
public final class HealthChecker {
  private final List<HealthCheck> checks;
  private final Clock clock;

  public HealthChecker(List<HealthCheck> checks, Clock clock) {
    this.checks = List.copyOf(checks);
    this.clock = clock;
  }

  /** The standard checks, in report order. */
  public static List<HealthCheck> standardChecks() {
    return List.of(new ServerCheck(), new ConnectionsCheck(), new IdleInTransactionCheck(), new LongRunningQueriesCheck(),
        new BlockedQueriesCheck(), new CacheHitRatioCheck(), new DatabaseSizeCheck(), new DeadTuplesCheck(),
        new XidWraparoundCheck(), new SequencesCheck(), new ReplicationCheck(), new InvalidIndexesCheck(),
        new ExtensionsCheck(), new SettingsCheck());
  }

  public static List<ThresholdDefinition> standardThresholds() {
    return standardChecks().stream().flatMap(c -> c.thresholds().stream()).toList();
  }

  public List<HealthCheck> checks() {
    return checks;
  }

  public HealthReport run(Session session, Thresholds thresholds) throws DatabaseFailure {
    List<String> notes = new ArrayList<>(session.target().warnings());
    notes.addAll(session.readOnly(c -> Sql.list(c, """
        SELECT r.rolsuper, pg_has_role(current_user, 'pg_monitor', 'MEMBER') FROM pg_roles r WHERE r.rolname = current_user""",
        rs -> rs.getBoolean(1) || rs.getBoolean(2)
            ? "" : "role " + session.target().user() + " is not a member of pg_monitor: other roles' sessions, "
                + "statement texts and replication positions are hidden; run GRANT pg_monitor TO " + session.target().user())
        .stream().filter(s -> !s.isEmpty()).toList()));
    List<CheckResult> results = new ArrayList<>();
    for (HealthCheck check : checks) {
      results.add(runOne(session, check, thresholds));
    }
    Map<String, Object> server = new LinkedHashMap<>();
    results.stream().filter(r -> r.name().equals(ServerCheck.NAME) && r.status() != Status.UNKNOWN).findFirst()
        .ifPresentOrElse(r -> server.putAll(r.details()), () -> server.put("version_num", session.serverVersionNum()));
    return new HealthReport(clock.instant().toString(), session.target().display(), server, results, notes);
  }

  private CheckResult runOne(Session session, HealthCheck check, Thresholds thresholds) throws DatabaseFailure {
    try {
      return session.readOnly(c -> check.run(new CheckContext(c, thresholds, session.serverVersionNum(), session.backendPid(), clock)));
    } catch (DatabaseFailure f) {
      return switch (f.kind()) {
        case STATEMENT_TIMEOUT, CONNECTION_LOST -> throw new DatabaseFailure(f.kind(),
            f.getMessage() + " (during check " + check.name() + ")", f);
        case PERMISSION -> CheckResult.unknown(check.name(), "cannot read what this check needs: " + f.getMessage(),
            "GRANT pg_monitor TO " + session.target().user());
        default -> CheckResult.unknown(check.name(), "could not run: " + f.getMessage(), null);
      };
    }
  }
}
