package dev.pgopt.backup;

import dev.pgopt.backup.BackupRepository.Reservation;
import dev.pgopt.backup.internal.Checksums;
import dev.pgopt.backup.internal.LibpqTarget;
import dev.pgopt.backup.internal.Tool;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.connect.Sql;
import dev.pgopt.local.LocalProcessException;
import dev.pgopt.local.PostgresInstallation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A logical backup of one database: {@code pg_dump --format=directory --jobs=N} into a {@link BackupRepository}, for
 * databases pgopt cannot reach at the file level (managed services, Neon) and as the quick backup before a change.
 *
 * <p>pgopt opens a read-only repeatable-read transaction on the source, exports its snapshot and hands it to pg_dump
 * ({@code --snapshot}); while pg_dump runs, it counts the rows of the largest tables in that same snapshot, so the
 * counts in the manifest are exactly what the dump holds, whatever writers do meanwhile. A restore drill compares
 * against them without touching the source again. Then every file's SHA-256 goes into the manifest, and the backup
 * is renamed into place: a failed backup (pg_dump error, full disk) leaves nothing behind.
 */
public final class LogicalBackup {
  /**
   * @param jobs pg_dump's parallel jobs (each is a connection to the source)
   * @param verifiedTables how many of the largest tables get exact row counts (each is a full scan on the source)
   */
  public record Options(int jobs, int verifiedTables, Retention retention) {
    public Options {
      if (jobs < 1 || jobs > 64) {
        throw new IllegalArgumentException("jobs must be 1 to 64, not " + jobs);
      }
      if (verifiedTables < 0) {
        throw new IllegalArgumentException("verified tables cannot be negative");
      }
    }

    public static Options defaults() {
      return new Options(2, 10, Retention.defaults());
    }
  }

  /** The backup written, and the ids retention removed after it. */
  public record Result(BackupRecord backup, List<String> pruned) {}

  private final Clock clock;

  public LogicalBackup(Clock clock) {
    this.clock = clock;
  }

  public Result run(DatabaseTarget target, SessionOptions session, BackupRepository repo, Options options) {
    String pgDump = tool("pg_dump");
    String toolVersion = version(pgDump);
    Instant started = clock.instant();
    try (Connection c = Connections.open(target, session)) {
      // counting a large table outlives any statement timeout: this transaction's statements run unbounded
      c.setNetworkTimeout(Runnable::run, 0);
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setReadOnly(true);
      Snapshot snap = snapshot(c);
      int localMajor = PostgresInstallation.find().majorVersion();
      if (snap.serverVersionNum() / 10000 > localMajor) {
        throw new BackupException("the server runs PostgreSQL " + snap.serverVersion() + " and this machine's pg_dump is "
            + localMajor + ": install the client tools of PostgreSQL " + snap.serverVersionNum() / 10000 + " or newer");
      }
      Reservation r = repo.reserve(target.database(), clock);
      Tool dump = null;
      try {
        Path dumpDir = r.partial().resolve(BackupRepository.DUMP);
        dump = new Tool(List.of(pgDump, "--format=directory", "--jobs=" + options.jobs(), "--snapshot=" + snap.id(),
            "--file=" + dumpDir, "--no-password", "--dbname=" + LibpqTarget.conninfo(target)),
            LibpqTarget.environment(target)).start();
        Map<String, Long> rows = countLargestTables(c, options.verifiedTables());
        Tool.Result done = dump.await();
        if (done.exitCode() != 0) {
          throw new BackupException("pg_dump of " + target.display() + " failed (exit " + done.exitCode() + "): "
              + done.tail() + (done.tail().contains("No space left") ? " (the repository's disk is full: free space or"
              + " give another --repo)" : ""));
        }
        c.commit();
        Map<String, String> files = Checksums.of(dumpDir);
        BackupRecord b = new BackupRecord(r.id(), target.database(), BackupRecord.LOGICAL, started, clock.instant(),
            snap.at(), snap.lsn(), snap.serverVersion(), toolVersion, options.jobs(), size(dumpDir), files, rows,
            target.display());
        repo.complete(r, b);
        return new Result(b, repo.prune(target.database(), options.retention(), clock));
      } catch (SQLException | RuntimeException e) {
        if (dump != null) {
          dump.kill();
          dump.await();
        }
        repo.abandon(r);
        if (e instanceof SQLException sql) {
          throw new BackupException("backup of " + target.display() + " failed while reading the source: "
              + sql.getMessage().split("\n")[0], sql);
        }
        throw (RuntimeException) e;
      }
    } catch (DatabaseFailure f) {
      throw new BackupException(f.getMessage(), f);
    } catch (SQLException e) {
      throw new BackupException("cannot start the backup of " + target.display() + ": " + e.getMessage().split("\n")[0], e);
    }
  }

  private record Snapshot(String id, Instant at, String lsn, String serverVersion, int serverVersionNum) {}

  private static Snapshot snapshot(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      // the counts may outlive any statement timeout, and the transaction must stay open, idle, until pg_dump ends
      st.execute("SET LOCAL statement_timeout = 0");
      st.execute("SET LOCAL idle_in_transaction_session_timeout = 0");
    }
    try (Statement st = c.createStatement();
         ResultSet rs = st.executeQuery(Sql.OWN_MARK + "SELECT pg_export_snapshot(), now(), (CASE WHEN pg_is_in_recovery()"
             + " THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text, current_setting('server_version'),"
             + " current_setting('server_version_num')::int")) {
      rs.next();
      return new Snapshot(rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getString(4), rs.getInt(5));
    }
  }

  /** Exact row counts of the {@code limit} largest ordinary tables (not extensions' own), in the snapshot. */
  private static Map<String, Long> countLargestTables(Connection c, int limit) throws SQLException {
    List<String> tables = new ArrayList<>();
    try (var ps = c.prepareStatement(Sql.OWN_MARK + """
        SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND c.relpersistence <> 't'
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                                       AND d.deptype = 'e')
         ORDER BY pg_total_relation_size(c.oid) DESC, 1, 2 LIMIT ?""")) {
      ps.setInt(1, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          tables.add(Quoting.ident(rs.getString(1)) + "." + Quoting.ident(rs.getString(2)));
        }
      }
    }
    Map<String, Long> out = new LinkedHashMap<>();
    try (Statement st = c.createStatement()) {
      for (String t : tables) {
        // marked as pgopt's own: a full count of every large table is not the application's workload, which the
        // advisor and pgopt bench read from pg_stat_statements
        try (ResultSet rs = st.executeQuery(Sql.OWN_MARK + "SELECT count(*) FROM " + t)) {
          rs.next();
          out.put(t, rs.getLong(1));
        }
      }
    }
    return out;
  }

  static String tool(String name) {
    try {
      return PostgresInstallation.find().tool(name);
    } catch (LocalProcessException e) {
      throw new BackupException("no " + name + " on this machine: " + e.getMessage(), e);
    }
  }

  private static String version(String tool) {
    Tool.Result r = Tool.run(List.of(tool, "--version"), Map.of());
    if (r.exitCode() != 0) {
      throw new BackupException(tool + " --version failed: " + r.tail());
    }
    return r.tail();
  }

  private static long size(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    } catch (IOException e) {
      throw new BackupException("cannot read " + dir + ": " + e.getMessage(), e);
    }
  }
}
