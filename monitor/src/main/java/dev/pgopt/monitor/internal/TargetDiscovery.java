package dev.pgopt.monitor.internal;

import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.connect.Sql;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

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
