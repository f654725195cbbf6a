package dev.pgopt.backup;

import dev.pgopt.backup.DrillReport.Check;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.SessionOptions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A restore drill on a managed service's point-in-time copy (a Neon branch at a timestamp): create the copy, check it
 * as {@link RestoreDrill} checks a restored backup (every large table read in full, amcheck, the smoke query), then
 * delete it. The source database is never connected to: the copy is the service's, reached by its own connection
 * string. RTO is the time from asking for the copy until it answered a query; RPO is not measured (the service
 * restores the exact timestamp within its history window, and there is no manifest to compare with).
 */
public final class BranchDrill {
  private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final int TABLES = 10;
  private static final Duration WAKE = Duration.ofSeconds(60);

  private final Clock clock;

  public BranchDrill(Clock clock) {
    this.clock = clock;
  }

  /**
   * Drills {@code branches} as of {@code target} (null: now). {@code record}, when present, keeps the report with
   * that repository's drills of the copy's database (for {@code backup list} and the monitor).
   */
  public DrillReport run(PointInTimeBranches branches, Instant target, RestoreDrill.Options options,
                         Optional<BackupRepository> record) {
    Instant start = clock.instant();
    Instant at = target == null ? start : target;
    if (at.isAfter(start)) {
      throw new BackupException("--to " + at + " is in the future: a drill restores a time that has passed");
    }
    long startNanos = System.nanoTime();
    String name = "pgopt-drill-" + NAME.format(start);
    PointInTimeBranches.Branch branch = branches.create(at, name);
    List<Check> checks = new ArrayList<>();
    Duration made = RestoreDrill.since(startNanos);
    String database = branches.database();
    Duration rto = null;
    try {
      try (Connection c = connect(branch.target(), options)) {
        rto = RestoreDrill.since(startNanos);
        checks.add(new Check("branch", true, "branch " + branch.id() + " of " + branches.describe() + " as of " + at
            + ", created in " + RestoreDrill.seconds(made) + ", answering after " + RestoreDrill.seconds(rto)));
        checks.add(readTables(c));
        checks.add(RestoreDrill.amcheck(c));
        if (options.smokeQuery() != null) {
          checks.add(RestoreDrill.smoke(c, options));
        }
      } catch (SQLException e) {
        checks.add(new Check(checks.isEmpty() ? "branch" : "checks", false, "failed: " + e.getMessage().split("\n")[0]));
      }
    } finally {
      try {
        branches.delete(branch);
      } catch (BackupException e) {
        checks.add(new Check("branch removed", false, e.getMessage() + "; delete branch " + branch.id() + " by hand"));
      }
    }
    DrillReport report = new DrillReport(database, "branch:" + branch.id(), at, start, at, rto, made, null, 0, checks,
        RestoreDrill.since(startNanos));
    record.ifPresent(r -> r.recordDrill(report));
    return report;
  }

  /** A new compute may take a few seconds to start on its first connection: retried for a minute. */
  private static Connection connect(DatabaseTarget target, RestoreDrill.Options options) throws SQLException {
    SessionOptions session = new SessionOptions(Duration.ofSeconds(20), options.statementTimeout(), Duration.ofSeconds(5),
        "pgopt-drill");
    long deadline = System.nanoTime() + WAKE.toNanos();
    while (true) {
      try {
        return Connections.open(target, session);
      } catch (DatabaseFailure e) {
        if (System.nanoTime() > deadline) {
          throw new SQLException("the branch did not accept a connection within " + WAKE.toSeconds() + " s: "
              + e.getMessage(), e);
        }
        try {
          Thread.sleep(2000);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new SQLException("interrupted while waiting for the branch", ie);
        }
      }
    }
  }

  /** Reads the largest tables in full: every page of them came back and is readable. */
  private static Check readTables(Connection c) throws SQLException {
    List<String> tables = new ArrayList<>();
    try (Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
             + " WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
             + " AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY c.relpages DESC, 1, 2 LIMIT " + TABLES)) {
      while (rs.next()) {
        tables.add(Quoting.ident(rs.getString(1)) + "." + Quoting.ident(rs.getString(2)));
      }
    }
    long rows = 0;
    List<String> failed = new ArrayList<>();
    for (String t : tables) {
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t)) {
        rs.next();
        rows += rs.getLong(1);
      } catch (SQLException e) {
        failed.add(t + ": " + e.getMessage().split("\n")[0]);
      }
    }
    return failed.isEmpty()
        ? new Check("tables", true, tables.size() + " largest tables read in full, " + rows + " rows")
        : new Check("tables", false, String.join("; ", failed));
  }
}
