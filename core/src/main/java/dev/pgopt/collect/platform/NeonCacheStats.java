package dev.pgopt.collect.platform;

import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * What a Neon compute says about its Local File Cache through the {@code neon} extension: hits and misses since the
 * compute started, and the working set (distinct pages touched) over the last hour.
 *
 * @param hitRatio percent, as the view reports it; empty before the first read
 * @param workingSetBytes pages touched in the last hour × 8 KiB; empty when the extension is too old to tell
 * @param cacheLimitBytes {@code neon.file_cache_size_limit}, when the server shows it
 */
public record NeonCacheStats(long hits, long misses, Optional<Double> hitRatio, Optional<Long> workingSetBytes,
                             Optional<Long> cacheLimitBytes) {
  private static final long PAGE = 8192;
  // Objects are used only when the neon extension owns them or a superuser does: a function of the same name planted
  // in a schema the user can write would otherwise run with pgopt's role.
  private static final String TRUSTED = """
      (EXISTS (SELECT 1 FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
               WHERE d.classid = %s::regclass AND d.objid = o.oid AND d.deptype = 'e' AND e.extname = 'neon')
       OR (SELECT rolsuper FROM pg_roles WHERE oid = o.%s))""";

  /** The cache's numbers, or empty when the neon extension's view is not there (not Neon, or not installed). */
  public static Optional<NeonCacheStats> read(Connection c) throws SQLException {
    List<String> view = Sql.list(c, "SELECT n.nspname FROM pg_class o JOIN pg_namespace n ON n.oid = o.relnamespace"
        + " WHERE o.relname = 'neon_stat_file_cache' AND o.relkind = 'v' AND " + TRUSTED.formatted("'pg_class'", "relowner")
        + " ORDER BY n.nspname = 'neon' DESC LIMIT 1", rs -> rs.getString(1));
    if (view.isEmpty()) {
      return Optional.empty();
    }
    String from = Quoting.ident(view.get(0)) + ".neon_stat_file_cache";
    record Row(long hits, long misses, Double ratio) {}
    Row row = Sql.one(c, "SELECT coalesce(sum(file_cache_hits), 0), coalesce(sum(file_cache_misses), 0),"
        + " avg(file_cache_hit_ratio) FROM " + from, rs -> new Row(rs.getLong(1), rs.getLong(2), Sql.nullableDouble(rs, "avg")));
    Optional<Long> workingSet = workingSet(c);
    List<Long> limit = Sql.list(c, "SELECT setting, unit FROM pg_settings WHERE name = 'neon.file_cache_size_limit'",
        rs -> bytes(rs.getString(1), rs.getString(2)));
    return Optional.of(new NeonCacheStats(row.hits(), row.misses(), Optional.ofNullable(row.ratio()), workingSet,
        limit.stream().filter(b -> b != null && b > 0).findFirst()));
  }

  private static Optional<Long> workingSet(Connection c) throws SQLException {
    record Fn(String schema, String name) {}
    List<Fn> fns = Sql.list(c, "SELECT n.nspname, o.proname FROM pg_proc o JOIN pg_namespace n ON n.oid = o.pronamespace"
        + " WHERE o.proname IN ('approximate_working_set_size_seconds', 'approximate_working_set_size')"
        + " AND o.pronargs = 1 AND " + TRUSTED.formatted("'pg_proc'", "proowner")
        + " ORDER BY o.proname = 'approximate_working_set_size_seconds' DESC, n.nspname = 'neon' DESC",
        rs -> new Fn(rs.getString(1), rs.getString(2)));
    if (fns.isEmpty()) {
      return Optional.empty();
    }
    Fn f = fns.get(0);
    // the _seconds form looks back an hour; the older one counts since its last reset, which false keeps
    String arg = f.name().endsWith("_seconds") ? "3600" : "false";
    Long pages = Sql.one(c, "SELECT " + Quoting.ident(f.schema()) + "." + Quoting.ident(f.name()) + "(" + arg + ")",
        rs -> Sql.nullableLong(rs, f.name()));
    return Optional.ofNullable(pages).map(p -> p * PAGE);
  }

  private static Long bytes(String setting, String unit) {
    try {
      long v = Long.parseLong(setting);
      long factor = unit == null ? 1 : switch (unit) {
        case "8kB" -> 8192L;
        case "kB" -> 1024L;
        case "MB" -> 1024L * 1024;
        case "GB" -> 1024L * 1024 * 1024;
        default -> 1L;
      };
      return v * factor;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
