package dev.pgopt.collect.platform;

import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Tells the platform from what the server shows to any role: setting names ({@code neon.*}, {@code rds.*},
 * {@code apg_*}), the libraries it preloads, platform roles, extensions, functions such as {@code aurora_version()},
 * and the host name the user connected to. Each clue counts one; the platform with most clues wins, two at least
 * unless the host name is one of the platform's own (a lone role of the same name on a self-managed server is not
 * enough).
 */
public final class PlatformDetector {
  private static final Set<String> NEON_ROLES = Set.of("neon_superuser", "cloud_admin");
  private static final Set<String> SUPABASE_ROLES = Set.of("supabase_admin", "supabase_auth_admin", "authenticator",
      "supabase_storage_admin");
  private static final Set<String> RDS_ROLES = Set.of("rds_superuser", "rdsadmin", "rds_replication");
  private static final Set<String> KNOWN_SETTINGS = Set.of("neon.timeline_id", "neon.tenant_id", "neon.pageserver_connstring",
      "neon.max_file_cache_size", "rds.force_ssl", "rds.extensions", "rds.logical_replication",
      "rds.rds_superuser_reserved_connections", "apg_plan_mgmt.capture_plan_baselines", "aurora.stat_plans",
      "supautils.reserved_roles", "pgsodium.enable_event_trigger");

  private PlatformDetector() {}

  /** @param host the host name the user connected to (may be null) */
  public static PlatformProfile detect(Connection c, String host) throws SQLException {
    Map<Platform, List<String>> clues = new EnumMap<>(Platform.class);
    for (Platform p : Platform.values()) {
      clues.put(p, new ArrayList<>());
    }
    String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
    boolean hostNamed = false;
    if (h.endsWith(".neon.tech") || h.endsWith(".neon.build") || h.endsWith(".neon.com")) {
      clues.get(Platform.NEON).add("host " + host);
      hostNamed = true;
    } else if (h.endsWith(".supabase.co") || h.endsWith(".supabase.com")) {
      clues.get(Platform.SUPABASE).add("host " + host);
      hostNamed = true;
    } else if (h.endsWith(".rds.amazonaws.com") || h.endsWith(".rds.amazonaws.com.cn")) {
      clues.get(h.contains(".cluster-") ? Platform.AURORA : Platform.RDS).add("host " + host);
      hostNamed = true;
    }
    // pg_settings lists what a loaded module registered; current_setting() also sees a name set without its module
    // (a placeholder), which is how a parameter group or a dump of one carries it
    for (String name : Sql.list(c, """
        SELECT name FROM pg_settings
        WHERE name LIKE 'neon.%' OR name LIKE 'rds.%' OR name LIKE 'apg\\_%' OR name LIKE 'aurora.%'
           OR name LIKE 'supautils.%' OR name LIKE 'pgsodium.%'
        UNION
        SELECT name FROM unnest(?::text[]) name WHERE current_setting(name, true) IS NOT NULL
        ORDER BY 1""", rs -> rs.getString(1), c.createArrayOf("text", KNOWN_SETTINGS.toArray()))) {
      Platform p = name.startsWith("neon.") ? Platform.NEON : name.startsWith("rds.") ? Platform.RDS
          : name.startsWith("supautils.") || name.startsWith("pgsodium.") ? Platform.SUPABASE : Platform.AURORA;
      if (clues.get(p).stream().noneMatch(s -> s.startsWith("settings "))) {
        clues.get(p).add("settings " + name.substring(0, name.indexOf(name.startsWith("apg_") ? '_' : '.') + 1) + "*");
      }
    }
    String preload = Sql.one(c, "SELECT coalesce(current_setting('shared_preload_libraries', true), '')", rs -> rs.getString(1));
    for (String lib : preload.split(",")) {
      String l = lib.strip().toLowerCase(Locale.ROOT);
      switch (l) {
        case "neon", "neon_utils", "neon_rmgr" -> clues.get(Platform.NEON).add("preloads " + l);
        case "supautils", "pgsodium" -> clues.get(Platform.SUPABASE).add("preloads " + l);
        case "rdsutils" -> clues.get(Platform.RDS).add("preloads " + l);
        default -> { }
      }
    }
    for (String role : Sql.list(c, "SELECT rolname FROM pg_roles WHERE rolname = ANY (?) ORDER BY rolname",
        rs -> rs.getString(1), c.createArrayOf("text", union(NEON_ROLES, SUPABASE_ROLES, RDS_ROLES).toArray()))) {
      Platform p = NEON_ROLES.contains(role) ? Platform.NEON : SUPABASE_ROLES.contains(role) ? Platform.SUPABASE : Platform.RDS;
      clues.get(p).add("role " + role);
    }
    for (String ext : Sql.list(c, """
        SELECT e.extname FROM pg_extension e WHERE e.extname IN ('neon', 'supabase_vault', 'pg_graphql', 'aws_commons',
          'aurora_stat_utils', 'apg_plan_mgmt', 'rds_tools')
        ORDER BY 1""", rs -> rs.getString(1))) {
      Platform p = switch (ext) {
        case "neon" -> Platform.NEON;
        case "supabase_vault", "pg_graphql" -> Platform.SUPABASE;
        case "aurora_stat_utils", "apg_plan_mgmt" -> Platform.AURORA;
        default -> Platform.RDS;
      };
      clues.get(p).add("extension " + ext);
    }
    if (!Sql.list(c, "SELECT 1 FROM pg_proc WHERE proname = 'aurora_version'", rs -> 1).isEmpty()) {
      clues.get(Platform.AURORA).add("function aurora_version()");
    }
    if (!Sql.list(c, "SELECT 1 FROM pg_namespace n WHERE n.nspname IN ('auth', 'storage') HAVING count(*) = 2", rs -> 1).isEmpty()
        && !clues.get(Platform.SUPABASE).isEmpty()) {
      clues.get(Platform.SUPABASE).add("schemas auth and storage");
    }
    // Aurora carries RDS's roles and settings as well: what is Aurora's own decides between them.
    if (!clues.get(Platform.AURORA).isEmpty() && !clues.get(Platform.RDS).isEmpty()) {
      clues.get(Platform.AURORA).addAll(clues.get(Platform.RDS));
      clues.get(Platform.RDS).clear();
    }
    Platform best = Platform.SELF_MANAGED;
    int most = 0;
    for (Map.Entry<Platform, List<String>> e : clues.entrySet()) {
      if (e.getValue().size() > most) {
        best = e.getKey();
        most = e.getValue().size();
      }
    }
    boolean byHost = hostNamed && clues.get(best).stream().anyMatch(s -> s.startsWith("host "));
    if (best == Platform.SELF_MANAGED || (most < 2 && !byHost)) {
      return PlatformProfile.selfManaged();
    }
    return new PlatformProfile(best, clues.get(best));
  }

  @SafeVarargs
  private static Set<String> union(Set<String>... sets) {
    Set<String> all = new java.util.TreeSet<>();
    for (Set<String> s : sets) {
      all.addAll(s);
    }
    return all;
  }
}
