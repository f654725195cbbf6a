package dev.pgopt.analyze.health.checks;

import dev.pgopt.analyze.health.CheckContext;
import dev.pgopt.analyze.health.CheckResult;
import dev.pgopt.analyze.health.HealthCheck;
import dev.pgopt.analyze.health.Status;
import dev.pgopt.analyze.health.Threshold;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.ServerVersions;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;

/** Version, uptime, role (primary or standby); warns when the major version is past its end of life. */
public final class ServerCheck implements HealthCheck {
  public static final String NAME = "server";

  /** Final minor release dates of each major version (https://www.postgresql.org/support/versioning/). */
  static final Map<Integer, LocalDate> END_OF_LIFE = Map.of(
      13, LocalDate.of(2025, 11, 13),
      14, LocalDate.of(2026, 11, 12),
      15, LocalDate.of(2027, 11, 11),
      16, LocalDate.of(2028, 11, 9),
      17, LocalDate.of(2029, 11, 8),
      18, LocalDate.of(2030, 11, 14));

  public record Facts(String version, int versionNum, double uptimeSeconds, boolean inRecovery, String database,
                      boolean dataChecksums) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    Facts f = Sql.one(ctx.connection(), """
        SELECT version(), current_setting('server_version_num')::int,
               extract(epoch FROM now() - pg_postmaster_start_time())::float8, pg_is_in_recovery(), current_database(),
               current_setting('data_checksums') = 'on'""",
        rs -> new Facts(rs.getString(1), rs.getInt(2), rs.getDouble(3), rs.getBoolean(4), rs.getString(5), rs.getBoolean(6)));
    return evaluate(f, ctx.clock());
  }

  public static CheckResult evaluate(Facts f, Clock clock) {
    int major = ServerVersions.major(f.versionNum());
    LocalDate eol = END_OF_LIFE.get(major);
    LocalDate today = LocalDate.now(clock);
    boolean pastEol = eol != null && !today.isBefore(eol);
    Status status = pastEol ? Status.WARNING : Status.OK;
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("version", f.version());
    details.put("version_num", f.versionNum());
    details.put("major", major);
    details.put("uptime_seconds", Math.round(f.uptimeSeconds()));
    details.put("in_recovery", f.inRecovery());
    details.put("database", f.database());
    details.put("data_checksums", f.dataChecksums());
    details.put("end_of_life", eol == null ? null : eol.toString());
    String message = "PostgreSQL " + ServerVersions.display(f.versionNum()) + (f.inRecovery() ? " standby" : " primary")
        + ", up " + Units.seconds(f.uptimeSeconds())
        + (pastEol ? ", past end of life since " + eol : eol == null ? "" : ", supported until " + eol);
    return new CheckResult(NAME, status, ServerVersions.display(f.versionNum()), ServerVersions.display(f.versionNum()),
        Threshold.none(), message, pastEol ? "upgrade to a supported major version (pg_upgrade or logical replication)" : null, details);
  }
}
