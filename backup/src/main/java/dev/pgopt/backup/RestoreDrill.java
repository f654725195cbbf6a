package dev.pgopt.backup;

import dev.pgopt.backup.DrillReport.Check;
import dev.pgopt.backup.internal.LibpqTarget;
import dev.pgopt.backup.internal.Tool;
import dev.pgopt.connect.Quoting;
import dev.pgopt.local.FreePort;
import dev.pgopt.local.LocalPostgres;
import dev.pgopt.local.LocalProcessException;
import dev.pgopt.local.ServiceUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Restores a backup into a private scratch server and checks it, then removes the server. It reads only the repository:
 * the source is never contacted (the row counts to compare with were taken at the backup, in its snapshot).
 *
 * <p>Checks, in order: every file of the backup is present with the SHA-256 the manifest recorded (no server is
 * started otherwise); pg_restore reports no error; each table the manifest counted has exactly that many rows;
 * amcheck's {@code bt_index_check} (with {@code heapallindexed}) passes on every B-tree index; and the smoke query,
 * when given, returns at least one row. The smoke query runs as a role that can only read, in a read-only
 * transaction, on the scratch copy. Every report is kept in the repository beside the backups
 * ({@link BackupRepository#drills}), for {@code backup list} and the monitor.
 */
public final class RestoreDrill {
  /**
   * @param scratchParent where the scratch server's directory is made (it needs room for the restored database)
   * @param smokeQuery a query the restored database must answer with at least one row, or null
   */
  public record Options(int jobs, Path scratchParent, String smokeQuery, Duration statementTimeout) {
    public static Options defaults() {
      return new Options(2, Path.of(System.getProperty("java.io.tmpdir")), null, Duration.ofMinutes(30));
    }

    public Options withScratch(Path parent) {
      return new Options(jobs, parent, smokeQuery, statementTimeout);
    }
  }

  private static final String SUPERUSER = "pgopt_drill";
  static final String READER = "pgopt_drill_reader";
  private final Clock clock;

  public RestoreDrill(Clock clock) {
    this.clock = clock;
  }

  /** Restores backup {@code backupId} of {@code database} (its newest when null or {@code latest}) as of now. */
  public DrillReport run(BackupRepository repo, String database, String backupId, Options options) {
    BackupRecord b = repo.find(database, backupId).orElseThrow(() -> new BackupException(
        (backupId == null || backupId.equals("latest") ? "no backup of database " + database
            : "no backup " + backupId + " of database " + database) + " in " + repo.root()
            + ": list them with pgopt backup list --repo " + repo.root()));
    return run(repo, b, clock.instant(), options);
  }

  /**
   * Restores {@code b} as the recovery for {@code target}: the point in time the drill pretends to recover to (now, for
   * the latest backup); the RPO is what a restore of this backup loses of it.
   */
  public DrillReport run(BackupRepository repo, BackupRecord b, Instant target, Options options) {
    DrillReport report = execute(repo, b, target, options);
    repo.recordDrill(report);
    return report;
  }

  private DrillReport execute(BackupRepository repo, BackupRecord b, Instant target, Options options) {
    String database = b.database();
    Instant start = clock.instant();
    long startNanos = System.nanoTime();
    List<Check> checks = new ArrayList<>();
    Duration rpo = Duration.between(b.snapshotAt(), target);
    Check sums = repo.verify(b);
    checks.add(sums);
    if (!sums.passed()) {
      return new DrillReport(database, b.id(), b.snapshotAt(), start, target, null, null, rpo, b.bytes(), checks, since(startNanos));
    }
    Path scratch = scratchDirectory(options.scratchParent());
    LocalPostgres pg = null;
    try {
      pg = LocalPostgres.at(scratch.resolve("pg"));
      String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
      int port;
      try {
        pg.initialize(SUPERUSER, password, false);
        port = FreePort.find();
        Map<String, String> settings = LocalPostgres.standardSettings(port);
        // a scratch copy: nothing to make durable
        settings.put("fsync", "off");
        settings.put("synchronous_commit", "off");
        settings.put("full_page_writes", "off");
        pg.configure(settings);
        pg.start();
      } catch (LocalProcessException e) {
        throw new BackupException("cannot start a scratch server for the drill in " + scratch + ": " + e.getMessage(), e);
      }
      String url = "jdbc:postgresql://127.0.0.1:" + port + "/";
      try (Connection admin = connect(url + "postgres", SUPERUSER, password); Statement st = admin.createStatement()) {
        st.execute("CREATE DATABASE " + Quoting.ident(database));
        st.execute("CREATE ROLE " + READER + " LOGIN PASSWORD '" + password + "' IN ROLE pg_read_all_data");
      }
      long restoreNanos = System.nanoTime();
      Tool.Result restored = Tool.run(List.of(LogicalBackup.tool("pg_restore"), "--jobs=" + options.jobs(), "--no-owner",
          "--no-privileges", "--no-password",
          // a conninfo, so that no database name (one with '=' in it, say) is read as connection settings
          "--dbname=host=127.0.0.1 port=" + port + " user=" + SUPERUSER + " dbname=" + LibpqTarget.quote(database),
          repo.dumpDirectory(b).toString()), Map.of("PGPASSWORD", password));
      Duration restore = since(restoreNanos);
      boolean ok = restored.exitCode() == 0;
      checks.add(new Check("restore", ok, ok ? "pg_restore --jobs=" + options.jobs() + " in " + seconds(restore)
          : "pg_restore failed (exit " + restored.exitCode() + "): " + restored.tail()));
      Duration rto = ok ? since(startNanos) : null;
      if (ok) {
        try (Connection c = connect(url + urlEncode(database), SUPERUSER, password)) {
          try (Statement st = c.createStatement()) {
            st.execute("SET statement_timeout = " + options.statementTimeout().toMillis());
          }
          checks.add(rowCounts(c, b));
          checks.add(amcheck(c));
        }
        if (options.smokeQuery() != null) {
          checks.add(smoke(url + urlEncode(database), READER, password, options));
        }
      }
      return new DrillReport(database, b.id(), b.snapshotAt(), start, target, rto, restore, rpo, b.bytes(), checks, since(startNanos));
    } catch (SQLException e) {
      throw new BackupException("the drill's scratch server failed: " + e.getMessage().split("\n")[0], e);
    } finally {
      if (pg != null) {
        try {
          pg.stopImmediately();
        } catch (LocalProcessException ignored) {
          // removed below either way
        }
      }
      BackupRepository.deleteTree(scratch);
    }
  }

  /** schema.table as the backup wrote it: two identifiers, each plain or double-quoted, and nothing else. */
  private static final java.util.regex.Pattern TABLE = java.util.regex.Pattern.compile(
      "(?:[a-z_][a-z0-9_$]*|\"(?:[^\"]|\"\")+\")\\.(?:[a-z_][a-z0-9_$]*|\"(?:[^\"]|\"\")+\")");

  private static Check rowCounts(Connection c, BackupRecord b) throws SQLException {
    List<String> wrong = new ArrayList<>();
    long rows = 0;
    try (Statement st = c.createStatement()) {
      for (Map.Entry<String, Long> e : new TreeMap<>(b.tableRows()).entrySet()) {
        if (!TABLE.matcher(e.getKey()).matches()) {
          // the manifest is a file like any other: a name that is not one is never sent to a server
          wrong.add("the manifest names a table as '" + e.getKey().replace("\n", " ") + "', which is not a table name");
          continue;
        }
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + e.getKey())) {
          rs.next();
          long n = rs.getLong(1);
          rows += n;
          if (n != e.getValue()) {
            wrong.add(e.getKey() + " has " + n + " rows, the backup's snapshot had " + e.getValue());
          }
        } catch (SQLException missing) {
          wrong.add(e.getKey() + ": " + missing.getMessage().split("\n")[0]);
        }
      }
    }
    if (wrong.isEmpty()) {
      return new Check("row counts", true, b.tableRows().size() + " tables, " + rows + " rows, as at the backup's snapshot");
    }
    return new Check("row counts", false, String.join("; ", wrong));
  }

  static Check amcheck(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE EXTENSION IF NOT EXISTS amcheck");
      List<String> indexes = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
          + " JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.amname = 'btree'"
          + " AND i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'"
          + " ORDER BY 1")) {
        while (rs.next()) {
          indexes.add(rs.getString(1));
        }
      }
      List<String> broken = new ArrayList<>();
      for (String index : indexes) {
        try (var ps = c.prepareStatement("SELECT bt_index_check(?::regclass, true)")) {
          ps.setString(1, index);
          ps.execute();
        } catch (SQLException e) {
          broken.add(index + ": " + e.getMessage().split("\n")[0]);
        }
      }
      return broken.isEmpty()
          ? new Check("amcheck", true, indexes.size() + " B-tree indexes checked against their tables")
          : new Check("amcheck", false, String.join("; ", broken));
    }
  }

  static Check smoke(String url, String user, String password, Options options) {
    try (Connection c = connect(url, user, password)) {
      return smoke(c, options);
    } catch (SQLException e) {
      return new Check("smoke query", false, "failed: " + e.getMessage().split("\n")[0]);
    }
  }

  /** The smoke query in a read-only transaction on {@code c}, rolled back. */
  static Check smoke(Connection c, Options options) {
    try {
      c.setReadOnly(true);
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("SET LOCAL statement_timeout = " + options.statementTimeout().toMillis());
        try (ResultSet rs = st.executeQuery(options.smokeQuery())) {
          int n = 0;
          while (rs.next() && n < 1000) {
            n++;
          }
          return new Check("smoke query", n > 0, n > 0 ? "returned " + (n == 1000 ? "1000+" : n) + " rows"
              : "returned no rows");
        }
      } finally {
        c.rollback();
      }
    } catch (SQLException e) {
      return new Check("smoke query", false, "failed: " + e.getMessage().split("\n")[0]);
    }
  }

  /** A JDBC connection to a scratch server; {@code password} null when the role has none. */
  static Connection connect(String url, String user, String password) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("connectTimeout", "10");
    return DriverManager.getConnection(url, p);
  }

  static Path scratchDirectory(Path parent) {
    if (!Files.isDirectory(parent)) {
      throw new BackupException("scratch directory " + parent + " does not exist: give an existing one with --scratch-dir");
    }
    Path dir = parent.toAbsolutePath().resolve("pgopt-drill-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(6)));
    try {
      ServiceUser.createPrivateDirectory(dir);
    } catch (LocalProcessException e) {
      throw new BackupException("cannot create a scratch directory in " + parent + ": " + e.getMessage(), e);
    }
    if (!ServiceUser.canReach(dir)) {
      BackupRepository.deleteTree(dir);
      throw new BackupException("the server user cannot reach " + dir + ": give another --scratch-dir");
    }
    return dir;
  }

  static String urlEncode(String database) {
    return java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String seconds(Duration d) {
    return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }

  static Duration since(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos);
  }
}
