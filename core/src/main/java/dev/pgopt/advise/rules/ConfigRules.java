package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.Rule;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code config.*}: settings backed by evidence. {@code config.pg_stat_statements}, {@code config.track_io_timing},
 * {@code config.work_mem} (from temp spills), {@code config.max_wal_size} (from requested checkpoints),
 * {@code config.random_page_cost} (SSD, when told), {@code config.shared_buffers} and
 * {@code config.effective_cache_size} (when the memory is told), {@code config.maintenance_work_mem} (index builds).
 */
public final class ConfigRules implements Rule {
  static final long KB = 1024;

  @Override
  public String id() {
    return "config";
  }

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    Map<String, Long> bytes = new LinkedHashMap<>();
    Map<String, String> text = new LinkedHashMap<>();
    Sql.list(ctx.connection(), """
        SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'maintenance_work_mem',
          'effective_cache_size', 'max_wal_size', 'random_page_cost', 'track_io_timing', 'shared_preload_libraries')""",
        rs -> {
          String unit = rs.getString(3);
          text.put(rs.getString(1), rs.getString(2));
          if (unit != null) {
            long factor = switch (unit) {
              case "8kB" -> 8 * KB;
              case "kB" -> KB;
              case "MB" -> KB * KB;
              default -> 1;
            };
            bytes.put(rs.getString(1), Long.parseLong(rs.getString(2)) * factor);
          }
          return null;
        });
    List<Finding> out = new ArrayList<>();
    boolean preloaded = List.of(text.getOrDefault("shared_preload_libraries", "").split("\\s*,\\s*")).contains("pg_stat_statements");
    if (ctx.workload().isEmpty()) {
      out.add(setting("config.pg_stat_statements", Severity.WARNING, "pg_stat_statements is not available: pgopt cannot see "
              + "which statements cost the most, and workload-based advice (query.*, config.work_mem) is skipped",
          Map.of("preloaded", preloaded), preloaded ? "CREATE EXTENSION pg_stat_statements;"
              : "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';  -- keep existing entries; then restart\n"
                  + "CREATE EXTENSION pg_stat_statements;", preloaded ? "DROP EXTENSION pg_stat_statements;" : null,
          !preloaded ? "restart" : "none"));
    }
    if ("off".equals(text.get("track_io_timing"))) {
      out.add(setting("config.track_io_timing", Severity.INFO, "track_io_timing is off: statement statistics cannot split time into "
              + "CPU and I/O (check its cost with pg_test_timing; it is cheap on most modern machines)",
          Map.of("track_io_timing", "off"), "ALTER SYSTEM SET track_io_timing = on;\nSELECT pg_reload_conf();",
          "ALTER SYSTEM RESET track_io_timing;\nSELECT pg_reload_conf();", "none"));
    }
    ctx.workload().ifPresent(w -> {
      long spilling = 0;
      long maxPerCall = 0;
      long totalTemp = 0;
      List<Map<String, Object>> worst = new ArrayList<>();
      List<StatementEntry> spills = w.entries().stream()
          .filter(e -> e.counters().tempBlksWritten() > 0 && e.counters().calls() > 0 && !e.query().regionMatches(true, 0, "create index", 0, 12))
          .sorted((a, b) -> Long.compare(b.counters().tempBlksWritten() / b.counters().calls(), a.counters().tempBlksWritten() / a.counters().calls()))
          .toList();
      for (StatementEntry e : spills) {
        long written = e.counters().tempBlksWritten() * 8 * KB;
        spilling++;
        totalTemp += written;
        maxPerCall = Math.max(maxPerCall, written / e.counters().calls());
        if (worst.size() < 5) {
          worst.add(Map.of("queryid", e.queryId(), "calls", e.counters().calls(), "temp_bytes_per_call", written / e.counters().calls(),
              "query", e.query().length() > 200 ? e.query().substring(0, 200) : e.query()));
        }
      }
      long workMem = bytes.getOrDefault("work_mem", 4 * KB * KB);
      if (spilling > 0 && maxPerCall > workMem) {
        long suggested = Math.min(Math.max(workMem * 2, roundUpMb(maxPerCall * 2)), 256 * KB * KB);
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("statements_spilling", spilling);
        evidence.put("temp_bytes_written", totalTemp);
        evidence.put("largest_spill_per_call_bytes", maxPerCall);
        evidence.put("work_mem_bytes", workMem);
        evidence.put("statements", worst);
        out.add(setting("config.work_mem", Severity.WARNING, spilling + " statements spill sorts or hashes to disk ("
                + Units.bytes(totalTemp) + " written, up to " + Units.bytes(maxPerCall) + " per call) with work_mem "
                + Units.bytes(workMem) + ": raise it for them (SET LOCAL work_mem in their transaction) or, with memory to "
                + "spare, globally — each sort or hash of each connection may use it",
            evidence, "ALTER SYSTEM SET work_mem = '" + suggested / (KB * KB) + "MB';\nSELECT pg_reload_conf();",
            "ALTER SYSTEM RESET work_mem;\nSELECT pg_reload_conf();", "none"));
      }
    });
    String checkpoints = ctx.serverVersionNum() >= 170000
        ? "SELECT num_timed::int8, num_requested::int8 FROM pg_stat_checkpointer"
        : "SELECT checkpoints_timed::int8, checkpoints_req::int8 FROM pg_stat_bgwriter";
    long[] cp = Sql.one(ctx.connection(), checkpoints, rs -> new long[] {rs.getLong(1), rs.getLong(2)});
    long maxWal = bytes.getOrDefault("max_wal_size", KB * KB * KB);
    if (cp[1] >= 10 && cp[1] * 5 > cp[0] + cp[1]) {
      out.add(setting("config.max_wal_size", Severity.WARNING, cp[1] + " of " + (cp[0] + cp[1]) + " checkpoints were forced by WAL volume, "
              + "not by checkpoint_timeout: each one floods the disk and full-page writes multiply the WAL; raise max_wal_size",
          Map.of("checkpoints_requested", cp[1], "checkpoints_timed", cp[0], "max_wal_size_bytes", maxWal),
          "ALTER SYSTEM SET max_wal_size = '" + Math.max(2, maxWal * 2 / (KB * KB * KB)) + "GB';\nSELECT pg_reload_conf();",
          "ALTER SYSTEM RESET max_wal_size;\nSELECT pg_reload_conf();", "none"));
    }
    String storage = ctx.machine().get("storage");
    String rpc = text.get("random_page_cost");
    if ("ssd".equals(storage) && rpc != null && Double.parseDouble(rpc) >= 2) {
      out.add(setting("config.random_page_cost", Severity.INFO, "random_page_cost is " + rpc + " on SSD storage: the planner "
              + "overprices index scans; 1.1 matches SSDs and cloud volumes",
          Map.of("random_page_cost", rpc, "storage", storage), "ALTER SYSTEM SET random_page_cost = 1.1;\nSELECT pg_reload_conf();",
          "ALTER SYSTEM RESET random_page_cost;\nSELECT pg_reload_conf();", "none"));
    }
    String memory = ctx.machine().get("memory_bytes");
    if (memory != null) {
      long ram = Long.parseLong(memory);
      long sb = bytes.getOrDefault("shared_buffers", 0L);
      if (sb < ram / 8) {
        out.add(setting("config.shared_buffers", Severity.WARNING, "shared_buffers is " + Units.bytes(sb) + " of "
                + Units.bytes(ram) + " memory: 25 % is the usual start on a dedicated server",
            Map.of("shared_buffers_bytes", sb, "memory_bytes", ram),
            "ALTER SYSTEM SET shared_buffers = '" + ram / 4 / (KB * KB) + "MB';  -- takes effect after a restart",
            "ALTER SYSTEM RESET shared_buffers;", "restart"));
      }
      long ecs = bytes.getOrDefault("effective_cache_size", 0L);
      if (ecs < ram / 2) {
        out.add(setting("config.effective_cache_size", Severity.INFO, "effective_cache_size is " + Units.bytes(ecs) + " of "
                + Units.bytes(ram) + " memory: the planner assumes less cache than there is and avoids index scans",
            Map.of("effective_cache_size_bytes", ecs, "memory_bytes", ram),
            "ALTER SYSTEM SET effective_cache_size = '" + ram * 3 / 4 / (KB * KB) + "MB';\nSELECT pg_reload_conf();",
            "ALTER SYSTEM RESET effective_cache_size;\nSELECT pg_reload_conf();", "none"));
      }
    }
    long mwm = bytes.getOrDefault("maintenance_work_mem", 64 * KB * KB);
    long largestIndex = Sql.one(ctx.connection(), """
        SELECT coalesce(max(pg_relation_size(indexrelid)), 0) FROM pg_stat_user_indexes""", rs -> rs.getLong(1));
    if (largestIndex > 4 * mwm && mwm < KB * KB * KB) {
      out.add(setting("config.maintenance_work_mem", Severity.INFO, "the largest index is " + Units.bytes(largestIndex)
              + " and maintenance_work_mem " + Units.bytes(mwm) + ": index builds and vacuum's index passes run in many "
              + "small rounds; 1GB (or SET for a build session) makes them much faster",
          Map.of("largest_index_bytes", largestIndex, "maintenance_work_mem_bytes", mwm),
          "ALTER SYSTEM SET maintenance_work_mem = '1GB';\nSELECT pg_reload_conf();",
          "ALTER SYSTEM RESET maintenance_work_mem;\nSELECT pg_reload_conf();", "none"));
    }
    return out;
  }

  private static long roundUpMb(long b) {
    long mb = KB * KB;
    return (b + mb - 1) / mb * mb;
  }

  private static Finding setting(String rule, Severity severity, String title, Map<String, Object> evidence, String sql,
      String undo, String restart) {
    return new Finding(rule, rule, severity, new DbObject(null, null, null, null), title, evidence, Map.of(),
        Confidence.MEASURED, new Action(sql, undo, !restart.equals("restart"), restart.equals("restart") ? "server restart" : "none", "low"));
  }
}
