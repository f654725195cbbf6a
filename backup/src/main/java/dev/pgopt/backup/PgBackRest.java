package dev.pgopt.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.backup.internal.Tool;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Endpoint;
import dev.pgopt.local.LocalProcessException;
import dev.pgopt.local.ServiceUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Physical backups of a server pgopt runs next to, through pgBackRest: {@link #setup} writes pgBackRest's
 * configuration into the repository directory and points the server's WAL archiving at it; {@link #backup} takes
 * full, differential or incremental backups; {@link #backups} reads {@code pgbackrest info}. pgBackRest runs as the
 * server's own system user (it reads the data directory, and the server runs it to archive WAL). Point-in-time
 * restores are {@link PointInTimeDrill}'s.
 *
 * <p>The repository directory holds {@code pgbackrest.conf}, the pgBackRest repository ({@code pgbackrest/}), its
 * logs and its lock files; everything pgopt runs passes {@code --config} to that file, so the machine's own pgBackRest
 * configuration is never read or changed.
 */
public final class PgBackRest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern STANZA = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Pattern VERIFY_PROBLEM = Pattern.compile("(?m)status: error|(?:invalid|missing)[^\\n:]*: [1-9]");
  private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9._/-]*");
  static final long TOOL_TIMEOUT_SECONDS = 6 * 3600;

  private final Path repo;
  private final String stanza;

  private PgBackRest(Path repo, String stanza) {
    this.repo = repo.toAbsolutePath().normalize();
    this.stanza = stanza;
  }

  /** The pgBackRest stanza {@code stanza} configured in repository {@code repo} by an earlier {@link #setup}. */
  public static PgBackRest at(Path repo, String stanza) {
    checkStanza(stanza);
    PgBackRest p = new PgBackRest(repo, stanza);
    if (!Files.isRegularFile(p.config())) {
      throw new BackupException("no pgBackRest configuration in " + repo + ": run pgopt backup setup --repo " + repo + " first");
    }
    return p;
  }

  /** The repository directory (pgBackRest's configuration, repository, logs; and pgopt's drill reports). */
  public Path repository() {
    return repo;
  }

  public Path config() {
    return repo.resolve("pgbackrest.conf");
  }

  public String stanza() {
    return stanza;
  }

  /**
   * What setup did.
   *
   * @param changes the server settings it changed (ALTER SYSTEM), each with its old value
   * @param restartNeeded whether a change takes effect only at the server's next start (archive_mode, wal_level); the
   *     check runs after it, so run setup again then
   * @param checked pgBackRest's {@code check} passed: WAL reaches the repository
   */
  public record Setup(PgBackRest backups, List<String> changes, boolean restartNeeded, boolean checked) {}

  /**
   * Configures pgBackRest for the server {@code c} is connected to, which must run on this machine (its data
   * directory is read by pgBackRest), as a superuser: writes {@code <repo>/pgbackrest.conf}, sets
   * {@code archive_command} (and {@code archive_mode}, {@code wal_level} when they need it), creates the stanza, and
   * runs {@code pgbackrest check} when no restart is pending.
   */
  public static Setup setup(Connection c, DatabaseTarget target, Path repo, String stanza, int keepFull) throws SQLException {
    checkStanza(stanza);
    if (!SAFE_PATH.matcher(repo.toAbsolutePath().normalize().toString()).matches()) {
      throw new BackupException("the repository path " + repo + " goes into the server's archive_command and pgBackRest's"
          + " configuration: use letters, digits, '.', '_', '-' and '/' only");
    }
    if (keepFull < 1) {
      throw new BackupException("keep at least 1 full backup, not " + keepFull);
    }
    version();
    if (!target.endpoints().stream().map(Endpoint::host).allMatch(h -> h.equals("localhost") || h.equals("127.0.0.1")
        || h.equals("::1"))) {
      throw new BackupException("pgBackRest setup needs a server on this machine, and " + target.display() + " is not"
          + " local: run pgopt on the database host, or use logical backups (pgopt backup run)");
    }
    Map<String, String> s = settings(c);
    if (!"on".equals(s.get("is_superuser"))) {
      throw new BackupException("pgBackRest setup changes archive settings and needs a superuser; " + target.user()
          + " is not one");
    }
    Path dataDir = Path.of(s.get("data_directory"));
    if (!Files.isRegularFile(dataDir.resolve("PG_VERSION"))) {
      throw new BackupException("the server's data directory " + dataDir + " is not on this machine (or not readable):"
          + " pgBackRest must run where the data is; use logical backups (pgopt backup run) otherwise");
    }
    String socket = s.get("unix_socket_directories").split(",")[0].strip();
    if (socket.isEmpty()) {
      throw new BackupException("the server listens on no Unix socket and pgBackRest connects through one: set"
          + " unix_socket_directories (e.g. '/var/run/postgresql') and restart it");
    }
    try {
      ServiceUser.createPrivateDirectory(repo);
      // pgBackRest creates its repository and lock directories, not its log directory
      ServiceUser.createPrivateDirectory(repo.resolve("log"));
    } catch (LocalProcessException e) {
      throw new BackupException("cannot create the repository " + repo + ": " + e.getMessage(), e);
    }
    for (String value : List.of(dataDir.toString(), s.get("port"), socket, target.user())) {
      if (value.contains("\n") || value.contains("\r")) {
        throw new BackupException("a setting pgBackRest's configuration would hold spans lines: " + value.strip());
      }
    }
    PgBackRest p = new PgBackRest(repo, stanza);
    ServiceUser.writePrivateFile(p.config(), """
        # written by pgopt backup setup; pgopt passes --config to this file
        [global]
        repo1-path=%s
        repo1-retention-full=%d
        start-fast=y
        log-path=%s
        lock-path=%s
        log-level-console=warn
        log-level-file=info

        [%s]
        pg1-path=%s
        pg1-port=%s
        pg1-socket-path=%s
        pg1-user=%s
        """.formatted(p.repo.resolve("pgbackrest"), keepFull, p.repo.resolve("log"), p.repo.resolve("lock"), stanza,
        dataDir, s.get("port"), socket, target.user()));
    List<String> changes = new ArrayList<>();
    boolean restart = false;
    String archive = "pgbackrest --config=" + p.config() + " --stanza=" + stanza + " archive-push %p";
    try (Statement st = c.createStatement()) {
      if (!archive.equals(s.get("archive_command"))) {
        st.execute("ALTER SYSTEM SET archive_command = '" + archive + "'"); // the path is checked: no quote in it
        changes.add("archive_command: '" + s.get("archive_command") + "' -> '" + archive + "'");
      }
      if (!"on".equals(s.get("archive_mode")) && !"always".equals(s.get("archive_mode"))) {
        st.execute("ALTER SYSTEM SET archive_mode = 'on'");
        changes.add("archive_mode: " + s.get("archive_mode") + " -> on (takes effect at the next restart)");
        restart = true;
      }
      if ("minimal".equals(s.get("wal_level"))) {
        st.execute("ALTER SYSTEM SET wal_level = 'replica'");
        changes.add("wal_level: minimal -> replica (takes effect at the next restart)");
        restart = true;
      }
      st.execute("SELECT pg_reload_conf()");
    }
    p.run(target, "stanza-create");
    if (restart) {
      return new Setup(p, changes, true, false);
    }
    p.run(target, "check");
    return new Setup(p, changes, false, true);
  }

  /** One backup set in the repository, as {@code pgbackrest info} reports it. */
  public record Backup(String label, String type, Instant start, Instant stop, long bytes, long repositoryBytes,
                       String walStart, String walStop) {}

  /** Takes a backup ({@code full}, {@code diff} or {@code incr}) and returns it. */
  public Backup backup(DatabaseTarget target, String type) {
    if (!List.of("full", "diff", "incr").contains(type)) {
      throw new BackupException("--type must be full, diff or incr, not '" + type + "'");
    }
    run(target, "backup", "--type=" + type);
    List<Backup> all = backups(target);
    if (all.isEmpty()) {
      throw new BackupException("pgbackrest backup finished but info lists no backup in " + repo);
    }
    return all.get(all.size() - 1);
  }

  /** What {@code pgbackrest verify} found: whether everything matched, and its report (one line per finding). */
  public record Verification(boolean ok, String report) {}

  /**
   * {@code pgbackrest verify}: every file of every backup and every archived WAL segment against the checksums
   * pgBackRest recorded. A verify that cannot run is a {@link BackupException}; problems it finds are in the result.
   */
  public Verification verify() {
    String out = run(null, "verify", "--output=text").strip();
    // the text report: "status: error", then per backup "checksum invalid: 1", "missing: 2", ...
    return new Verification(!VERIFY_PROBLEM.matcher(out).find(), out.replace("\n", " | "));
  }

  /** The backup sets, oldest first. */
  public List<Backup> backups(DatabaseTarget target) {
    String out = run(target, "info", "--output=json");
    List<Backup> list = new ArrayList<>();
    try {
      for (JsonNode st : JSON.readTree(out)) {
        if (!stanza.equals(st.path("name").asText())) {
          continue;
        }
        for (JsonNode b : st.path("backup")) {
          list.add(new Backup(b.path("label").asText(), b.path("type").asText(),
              Instant.ofEpochSecond(b.path("timestamp").path("start").asLong()),
              Instant.ofEpochSecond(b.path("timestamp").path("stop").asLong()), b.path("info").path("size").asLong(),
              b.path("info").path("repository").path("delta").asLong(), b.path("archive").path("start").asText(null),
              b.path("archive").path("stop").asText(null)));
        }
      }
    } catch (IOException e) {
      throw new BackupException("cannot read pgbackrest info: " + e.getMessage(), e);
    }
    return list;
  }

  /** Runs {@code pgbackrest --config=... --stanza=... <command> <args>} as the server's user; returns its output. */
  String run(DatabaseTarget target, String command, String... args) {
    List<String> cmd = new ArrayList<>(List.of("pgbackrest", "--config=" + config(), "--stanza=" + stanza, command));
    cmd.addAll(List.of(args));
    Map<String, String> env = new HashMap<>();
    if (target != null) {
      target.password().ifPresent(pw -> env.put("PGPASSWORD", pw));
    }
    ServiceUser.Outcome r;
    try {
      r = ServiceUser.run(cmd, env, TOOL_TIMEOUT_SECONDS);
    } catch (LocalProcessException e) {
      throw new BackupException("pgbackrest " + command + " did not run: " + e.getMessage(), e);
    }
    if (r.exitCode() != 0) {
      throw new BackupException("pgbackrest " + command + " failed (exit " + r.exitCode() + "): " + reason(r.output()));
    }
    return r.output();
  }

  /**
   * pgBackRest's own error line (with the first hint after it) when it printed one: its last lines are often only
   * generic hints ("check the archive_command ...") that hide what went wrong.
   */
  static String reason(String output) {
    String[] lines = output.strip().split("\n");
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].contains("ERROR: [")) {
        String error = lines[i].strip();
        for (int j = i + 1; j < lines.length; j++) {
          if (lines[j].strip().startsWith("HINT:")) {
            return error + " | " + lines[j].strip();
          }
        }
        return error;
      }
    }
    return Tool.lastLines(output, 3);
  }

  private static void version() {
    try {
      ServiceUser.Outcome r = ServiceUser.run(List.of("pgbackrest", "version"), Map.of(), 30);
      if (r.exitCode() != 0) {
        throw new BackupException("pgbackrest version failed: " + r.output().strip());
      }
    } catch (LocalProcessException e) {
      throw new BackupException("pgBackRest is not installed: apt-get install pgbackrest (Debian 12 has 2.45), or use"
          + " logical backups (pgopt backup run)", e);
    }
  }

  private static Map<String, String> settings(Connection c) throws SQLException {
    Map<String, String> s = new HashMap<>();
    try (Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT name, setting FROM pg_settings WHERE name IN ('data_directory', 'port',"
             + " 'unix_socket_directories', 'archive_mode', 'archive_command', 'wal_level')"
             + " UNION ALL SELECT 'is_superuser', CASE WHEN rolsuper THEN 'on' ELSE 'off' END FROM pg_roles"
             + " WHERE rolname = current_user")) {
      while (rs.next()) {
        s.put(rs.getString(1), rs.getString(2));
      }
    }
    if (!s.containsKey("data_directory")) {
      throw new BackupException("cannot read data_directory: pgBackRest setup needs a superuser (or pg_read_all_settings)");
    }
    return s;
  }

  private static void checkStanza(String stanza) {
    if (!STANZA.matcher(stanza).matches()) {
      throw new BackupException("'" + stanza + "' is not a stanza name: use lower case letters, digits, _ and -");
    }
  }
}
