package dev.pgopt.analyze.health.checks;

import dev.pgopt.analyze.health.CheckContext;
import dev.pgopt.analyze.health.CheckResult;
import dev.pgopt.analyze.health.HealthCheck;
import dev.pgopt.analyze.health.Status;
import dev.pgopt.analyze.health.Threshold;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The extensions pgopt builds on: installed and available versions. Missing ones never fail the report; the
 * message says what each one unlocks and how to get it.
 */
public final class ExtensionsCheck implements HealthCheck {
  public static final String NAME = "extensions";

  /** Extensions pgopt uses, with what they give. */
  public static final Map<String, String> WATCHED = watched();

  /** {@code available} is null when the server does not ship the extension at all. */
  public record Extension(String name, String available, String installed) {}

  private static Map<String, String> watched() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("pg_stat_statements", "statement statistics: top queries and workload-wide index advice");
    m.put("vector", "pgvector: vector columns and ANN indexes");
    m.put("hypopg", "hypothetical indexes: what-if plan costs before an index is built");
    return m;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    Map<String, Extension> found = new LinkedHashMap<>();
    Sql.list(ctx.connection(),
        "SELECT name, default_version, installed_version FROM pg_available_extensions WHERE name = ANY (?)",
        rs -> found.put(rs.getString(1), new Extension(rs.getString(1), rs.getString(2), rs.getString(3))),
        ctx.connection().createArrayOf("text", WATCHED.keySet().toArray()));
    String preload = Sql.one(ctx.connection(), "SELECT current_setting('shared_preload_libraries')", rs -> rs.getString(1));
    List<Extension> all = new ArrayList<>();
    for (String name : WATCHED.keySet()) {
      all.add(found.getOrDefault(name, new Extension(name, null, null)));
    }
    return evaluate(all, preload);
  }

  public static CheckResult evaluate(List<Extension> extensions, String sharedPreloadLibraries) {
    Status status = Status.OK;
    List<String> parts = new ArrayList<>();
    List<String> fixes = new ArrayList<>();
    List<Map<String, Object>> rows = new ArrayList<>();
    int installed = 0;
    boolean pgssPreloaded = sharedPreloadLibraries != null && List.of(sharedPreloadLibraries.split("\\s*,\\s*")).contains("pg_stat_statements");
    for (Extension e : extensions) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", e.name());
      row.put("installed_version", e.installed());
      row.put("available_version", e.available());
      row.put("purpose", WATCHED.get(e.name()));
      rows.add(row);
      if (e.installed() != null) {
        installed++;
        boolean outdated = e.available() != null && !e.available().equals(e.installed());
        parts.add(e.name() + " " + e.installed() + (outdated ? " (" + e.available() + " available)" : ""));
        if (outdated) {
          fixes.add("ALTER EXTENSION " + e.name() + " UPDATE");
        }
        if (e.name().equals("pg_stat_statements") && !pgssPreloaded) {
          status = Status.WARNING;
          fixes.add("add pg_stat_statements to shared_preload_libraries and restart: the extension is created but not loaded");
        }
      } else if (e.available() != null) {
        parts.add(e.name() + " not created");
        fixes.add("CREATE EXTENSION " + e.name() + (e.name().equals("pg_stat_statements") && !pgssPreloaded
            ? " (after adding it to shared_preload_libraries and restarting)" : "") + " for " + WATCHED.get(e.name()));
      } else {
        parts.add(e.name() + " not on the server");
        fixes.add("install " + e.name() + " on the server (or enable it in your provider's console) for " + WATCHED.get(e.name()));
      }
    }
    return new CheckResult(NAME, status, installed, installed + "/" + extensions.size(), Threshold.none(),
        String.join(", ", parts), fixes.isEmpty() ? null : String.join("; ", fixes), Map.of("extensions", rows));
  }
}
