package dev.pgopt.advise.pooler;

import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What clients do that lives in a session and so breaks under transaction pooling, where each transaction may run on
 * another server connection: session {@code SET}s, session advisory locks, {@code LISTEN}, SQL {@code PREPARE},
 * cursors {@code WITH HOLD}, temporary tables. Found in pg_stat_statements' texts (utility statements are there with
 * {@code track_utility}, the default) and in advisory locks idle sessions hold right now.
 *
 * @param found feature to up to three statements (or sessions) that show it
 */
public record SessionFeatures(Map<Feature, List<String>> found, boolean statementsSeen) {

  /** A session feature, with what breaks in transaction mode and what to do instead. */
  public enum Feature {
    SET("session SET", "the setting stays on the server connection for whoever gets it next, and is lost for the"
        + " client's next transaction", "SET LOCAL inside the transaction, or the role's or database's defaults (ALTER ROLE ... SET)",
        "(?is)^\\s*(?:/\\*.*?\\*/\\s*)*set\\s++(?!local\\b|transaction\\b|session\\s+characteristics\\b|constraints\\b)|set_config\\s*\\([^)]*,\\s*false\\s*\\)"),
    ADVISORY_LOCK("session advisory locks", "the lock stays with the server connection: another client's transaction"
        + " holds it, and the unlock may run elsewhere", "pg_advisory_xact_lock (released at commit)",
        "(?is)pg_(?:try_)?advisory_lock(?:_shared)?\\s*\\("),
    LISTEN("LISTEN", "notifications arrive on a server connection the client no longer holds",
        "a dedicated session-mode pool (or a direct connection) for listeners", "(?is)^\\s*(?:/\\*.*?\\*/\\s*)*listen\\s"),
    PREPARE("SQL PREPARE", "the prepared statement exists on one server connection; EXECUTE on another fails",
        "protocol-level prepared statements with PgBouncer 1.21+ (max_prepared_statements), or none",
        "(?is)^\\s*(?:/\\*.*?\\*/\\s*)*prepare\\s"),
    HOLD_CURSOR("cursors WITH HOLD", "the cursor outlives the transaction on a connection the client gives back",
        "read the cursor inside one transaction", "(?is)declare\\s+.*\\bwith\\s+hold\\b"),
    TEMP_TABLE("temporary tables", "the table lives on one server connection; the next transaction may not see it",
        "ON COMMIT DROP inside one transaction, or an unlogged table",
        "(?is)create\\s+(?:global\\s+|local\\s+)?temp(?:orary)?\\s+table(?!.*on\\s+commit\\s+drop)");

    private final String label;
    private final String breaks;
    private final String instead;
    private final Pattern pattern;

    Feature(String label, String breaks, String instead, String regex) {
      this.label = label;
      this.breaks = breaks;
      this.instead = instead;
      this.pattern = Pattern.compile(regex);
    }

    public String label() {
      return label;
    }

    public String breaks() {
      return breaks;
    }

    public String instead() {
      return instead;
    }

    boolean in(String sql) {
      return pattern.matcher(sql).find();
    }
  }

  public boolean any() {
    return !found.isEmpty();
  }

  /** The features in statement texts, by calls; {@code texts} are pg_stat_statements' (any order). */
  public static SessionFeatures of(List<String> texts, List<String> idleAdvisoryLockHolders, boolean statementsSeen) {
    Map<Feature, List<String>> found = new LinkedHashMap<>();
    for (String text : texts) {
      if (Sql.isOwn(text)) {
        continue; // pgopt's own sessions: not the application's
      }
      for (Feature f : Feature.values()) {
        if (f.in(text)) {
          List<String> examples = found.computeIfAbsent(f, k -> new ArrayList<>());
          if (examples.size() < 3) {
            String one = text.replaceAll("\\s+", " ").strip();
            examples.add(one.length() > 100 ? one.substring(0, 99) + "…" : one);
          }
        }
      }
    }
    for (String holder : idleAdvisoryLockHolders) {
      List<String> examples = found.computeIfAbsent(Feature.ADVISORY_LOCK, k -> new ArrayList<>());
      if (examples.size() < 3) {
        examples.add(holder);
      }
    }
    return new SessionFeatures(found, statementsSeen);
  }

  /**
   * Reads the database's statements (pg_stat_statements, when installed and readable) and the advisory locks that
   * idle sessions hold now (a session lock outlives its transaction; a transaction lock does not).
   */
  public static SessionFeatures read(Connection c) throws SQLException {
    List<String> texts = new ArrayList<>();
    // installed in the database but not loaded (shared_preload_libraries), reading the view fails
    boolean seen = Sql.one(c, "SELECT to_regclass('pg_stat_statements') IS NOT NULL AND current_setting('shared_preload_libraries')"
        + " ~ 'pg_stat_statements'", rs -> rs.getBoolean(1));
    if (seen) {
      Sql.list(c, "SELECT query FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname ="
          + " current_database()) AND query IS NOT NULL ORDER BY calls DESC LIMIT 5000", rs -> texts.add(rs.getString(1)));
    }
    List<String> holders = Sql.list(c, """
        SELECT DISTINCT 'pid ' || a.pid || ' (' || coalesce(a.usename, '?') || ', ' || coalesce(nullif(a.application_name, ''), 'no name')
               || ') holds an advisory lock while idle'
          FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND a.state = 'idle' AND a.pid <> pg_backend_pid()""",
        rs -> rs.getString(1));
    return of(texts, holders, seen);
  }
}
