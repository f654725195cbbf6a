package dev.pgopt.monitor.internal;

import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.connect.Sql;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The databases of a server that a discovery entry ({@code databases: "app_*"}) stands for: those that accept
 * connections, are not templates and match the glob, each named {@code entry-database} in the monitor.
 */
final class TargetDiscovery {
  private TargetDiscovery() {}

  /** The longest target name (the configuration's rule for names). */
  static final int MAX_NAME = 63;

  static List<String> databases(DatabaseTarget server, String glob) throws DatabaseFailure {
    SessionOptions options = new SessionOptions(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(1),
        "pgopt-monitor-discovery");
    try (Session s = Session.open(server, options)) {
      return s.readOnly(c -> Sql.list(c, "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate"
          + " AND datname LIKE ? ESCAPE '\\' ORDER BY datname", rs -> rs.getString(1), like(glob)));
    }
  }

  /**
   * What a new listing of a discovery entry's databases changes: the databases that are not targets yet (target name
   * to database; a name any target holds already is left to it), and the entry's targets whose database is gone.
   *
   * @param entryOf every current target's name and the entry it came from
   */
  record Change(Map<String, String> added, List<String> removed) {
    boolean none() {
      return added.isEmpty() && removed.isEmpty();
    }
  }

  static Change changes(String entry, Map<String, String> entryOf, List<String> found) {
    Map<String, String> wanted = new LinkedHashMap<>();
    found.forEach(db -> wanted.putIfAbsent(targetName(entry, db), db));
    List<String> removed = new ArrayList<>();
    entryOf.forEach((name, from) -> {
      if (from.equals(entry) && !name.equals(entry) && !wanted.containsKey(name)) {
        removed.add(name);
      }
    });
    Map<String, String> added = new LinkedHashMap<>();
    wanted.forEach((name, db) -> {
      if (!entryOf.containsKey(name)) {
        added.put(name, db);
      }
    });
    return new Change(added, removed);
  }

  /** The glob as a LIKE pattern: * and ? become % and _, a literal % or _ is escaped. */
  static String like(String glob) {
    StringBuilder sb = new StringBuilder();
    for (char ch : glob.toCharArray()) {
      switch (ch) {
        case '*' -> sb.append('%');
        case '?' -> sb.append('_');
        case '%', '_', '\\' -> sb.append('\\').append(ch);
        default -> sb.append(ch);
      }
    }
    return sb.toString();
  }

  /** {@code entry-database} in the characters target names allow (lower case, digits, _ and -), at most 63. */
  static String targetName(String entry, String database) {
    String db = database.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "_");
    String name = entry + "-" + db;
    return name.length() <= MAX_NAME ? name : name.substring(0, MAX_NAME);
  }
}
