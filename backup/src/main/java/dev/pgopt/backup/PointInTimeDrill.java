package dev.pgopt.backup;

import dev.pgopt.backup.DrillReport.Check;
import dev.pgopt.backup.internal.Tool;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.local.FreePort;
import dev.pgopt.local.LocalPostgres;
import dev.pgopt.local.LocalProcessException;
import dev.pgopt.local.ServiceUser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A restore drill of a physical backup to a point in time: {@code pgbackrest restore --type=time --target=T} into a
 * private scratch directory, WAL replayed from the repository up to T, the copy promoted, checked, and removed. The
 * source is never contacted: the copy is reached with the source's own roles and password (they are part of the
 * restored data), over loopback, on a free port.
 *
 * <p>RTO is the time from the drill's start until the promoted copy accepts queries; RPO is the target minus the
 * newest commit the copy holds (PostgreSQL logs it at the end of recovery). Checks: the copy reached the target and
 * was promoted; amcheck on every B-tree index of the database; the smoke query (read-only role, read-only
 * transaction). The copy never archives WAL (archive_mode off), so it cannot write into the repository it came from.
 * The report is kept in the repository directory like a logical drill's ({@link BackupRepository#drills}).
 */
public final class PointInTimeDrill {
  private static final Pattern LAST_COMMIT = Pattern.compile("last completed transaction was at log time ([0-9][^\\n]*)");
  private static final DateTimeFormatter TARGET = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx")
      .withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter LOG_TIME = new java.time.format.DateTimeFormatterBuilder()
      .appendPattern("yyyy-MM-dd HH:mm:ss").appendFraction(java.time.temporal.ChronoField.NANO_OF_SECOND, 0, 9, true)
      .appendPattern("x").toFormatter();
  private static final Duration PROMOTION_TIMEOUT = Duration.ofMinutes(30);

  private final Clock clock;

  public PointInTimeDrill(Clock clock) {
    this.clock = clock;
  }

  /**
   * Restores {@code backups}' stanza as of {@code target} (null: everything archived) and checks database
   * {@code source.database()} in it, connecting as {@code source}'s role.
   */
  public DrillReport run(PgBackRest backups, DatabaseTarget source, Instant target, RestoreDrill.Options options) {
    DrillReport report = execute(backups, source, target, options);
    BackupRepository.at(backups.repository()).recordDrill(report);
    return report;
  }

  private DrillReport execute(PgBackRest backups, DatabaseTarget source, Instant target, RestoreDrill.Options options) {
    List<PgBackRest.Backup> sets = backups.backups(source);
    if (sets.isEmpty()) {
      throw new BackupException("no pgBackRest backup in " + backups.config().getParent() + ": take one with pgopt backup run --physical");
    }
    if (target != null && target.isBefore(sets.get(0).stop())) {
      throw new BackupException("--to " + target + " is before the end of the first backup (" + sets.get(0).stop()
          + "): nothing restores the data as of then");
    }
    Instant start = clock.instant();
    long startNanos = System.nanoTime();
    Instant goal = target != null ? target : start;
    List<Check> checks = new ArrayList<>();
    Path scratch = RestoreDrill.scratchDirectory(options.scratchParent());
    Path data = scratch.resolve("pg");
    LocalPostgres pg = null;
    try {
      ServiceUser.createPrivateDirectory(data);
      List<String> args = new ArrayList<>(List.of("--pg1-path=" + data));
      if (target != null) {
        args.addAll(List.of("--type=time", "--target=" + TARGET.format(target), "--target-action=promote"));
      }
      long restoreNanos = System.nanoTime();
      try {
        backups.run(source, "restore", args.toArray(String[]::new));
      } catch (BackupException e) {
        checks.add(new Check("restore", false, e.getMessage() + "; pgopt backup verify --physical --repo "
            + backups.repository() + " names what is damaged"));
        return report(source, backups, sets, start, goal, null, null, null, checks, startNanos);
      }
      int port = FreePort.find();
      prepare(data, port);
      pg = LocalPostgres.at(data);
      try {
        // a restored copy replays WAL to a consistent state before it accepts connections
        pg.start(PROMOTION_TIMEOUT);
      } catch (LocalProcessException e) {
        checks.add(new Check("recovery", false, "the restored copy did not start: " + e.getMessage()));
        return report(source, backups, sets, start, goal, null, null, null, checks, startNanos);
      }
      String url = "jdbc:postgresql://127.0.0.1:" + port + "/" + RestoreDrill.urlEncode(source.database());
      Duration restore;
      try (Connection c = connect(url, source)) {
        awaitPromotion(c);
        restore = RestoreDrill.since(restoreNanos);
      }
      Duration rto = RestoreDrill.since(startNanos);
      Instant lastCommit = lastCommit(pg.logFile());
      checks.add(new Check("recovery", true, "WAL replayed " + (target != null ? "to " + target : "to the end of the archive")
          + " and promoted in " + RestoreDrill.seconds(restore) + (lastCommit != null ? "; newest commit " + lastCommit : "")));
      String password = java.util.HexFormat.of().formatHex(new java.security.SecureRandom().generateSeed(16));
      boolean reader = false;
      try (Connection c = connect(url, source); Statement st = c.createStatement()) {
        st.execute("SET statement_timeout = " + options.statementTimeout().toMillis());
        checks.add(RestoreDrill.amcheck(c));
        if (options.smokeQuery() != null) {
          try {
            st.execute("CREATE ROLE " + RestoreDrill.READER + " LOGIN PASSWORD '" + password + "' IN ROLE pg_read_all_data");
            reader = true;
          } catch (SQLException notAllowed) {
            // the source's role may not create roles: it then runs the smoke query itself, read-only, with what it may do
          }
        }
      }
      if (options.smokeQuery() != null) {
        checks.add(reader ? RestoreDrill.smoke(url, RestoreDrill.READER, password, options)
            : RestoreDrill.smoke(url, source.user(), source.password().orElse(null), options));
      }
      return report(source, backups, sets, start, goal, rto, restore, lastCommit, checks, startNanos);
    } catch (SQLException e) {
      checks.add(new Check("recovery", false, "the restored copy did not answer: " + e.getMessage().split("\n")[0]
          + (pg != null ? " (server log: " + tail(pg.logFile()) + ")" : "")));
      return report(source, backups, sets, start, goal, null, null, null, checks, startNanos);
    } catch (LocalProcessException | IOException e) {
      throw new BackupException("cannot prepare the drill's scratch server in " + scratch + ": " + e.getMessage(), e);
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

  private DrillReport report(DatabaseTarget source, PgBackRest backups, List<PgBackRest.Backup> sets, Instant start,
      Instant goal, Duration rto, Duration restore, Instant lastCommit, List<Check> checks, long startNanos) {
    PgBackRest.Backup used = sets.stream().filter(b -> !b.stop().isAfter(goal)).reduce((a, b) -> b).orElse(sets.get(0));
    Duration rpo = lastCommit == null ? null : Duration.between(lastCommit, goal).isNegative() ? Duration.ZERO
        : Duration.between(lastCommit, goal);
    return new DrillReport(source.database(), used.label(), used.stop(), start, goal, rto, restore, rpo,
        used.repositoryBytes(), checks, RestoreDrill.since(startNanos));
  }

  /**
   * The restored configuration is the source's: give the copy its own port, loopback only, no archiving (it must never
   * push WAL into the repository it came from), logs in a file we read, and password authentication on loopback.
   * postgresql.auto.conf is read last and holds the source's ALTER SYSTEM settings (archive_command among them), so
   * the overrides go at its end.
   */
  private static void prepare(Path data, int port) throws IOException {
    Path conf = data.resolve("postgresql.conf");
    if (!Files.exists(conf)) {
      ServiceUser.writePrivateFile(conf, "# the source kept its configuration elsewhere (e.g. /etc/postgresql)\n");
    }
    ServiceUser.writePrivateFile(data.resolve("pg_hba.conf"), "host all all 127.0.0.1/32 md5\n");
    Path auto = data.resolve("postgresql.auto.conf");
    String existing = Files.exists(auto) ? Files.readString(auto, StandardCharsets.UTF_8) : "";
    ServiceUser.writePrivateFile(auto, existing + """

        # pgopt backup drill: a private, short-lived copy
        port = %d
        listen_addresses = '127.0.0.1'
        unix_socket_directories = ''
        archive_mode = 'off'
        logging_collector = 'off'
        hba_file = '%s'
        hot_standby = 'on'
        """.formatted(port, data.resolve("pg_hba.conf")));
  }

  private static void awaitPromotion(Connection c) throws SQLException {
    long deadline = System.nanoTime() + PROMOTION_TIMEOUT.toNanos();
    try (Statement st = c.createStatement()) {
      while (true) {
        try (ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
          rs.next();
          if (!rs.getBoolean(1)) {
            return;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new SQLException("still recovering after " + PROMOTION_TIMEOUT.toMinutes() + " minutes");
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SQLException("interrupted while waiting for the promotion");
        }
      }
    }
  }

  /** The newest commit the copy holds, from the line PostgreSQL logs at the end of recovery; null when absent. */
  static Instant lastCommit(Path log) {
    try {
      String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
      Matcher m = LAST_COMMIT.matcher(text);
      Instant last = null;
      while (m.find()) {
        last = parseLogTime(m.group(1).strip());
      }
      return last;
    } catch (IOException e) {
      return null;
    }
  }

  static Instant parseLogTime(String text) {
    try {
      return OffsetDateTime.parse(text, LOG_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String tail(Path log) {
    try {
      return Tool.lastLines(Files.readString(log, StandardCharsets.UTF_8), 3);
    } catch (IOException e) {
      return "unreadable";
    }
  }

  private static Connection connect(String url, DatabaseTarget source) throws SQLException {
    return RestoreDrill.connect(url, source.user(), source.password().orElse(null));
  }

}
