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
 * Settings the other checks and pgopt's advice depend on. Critical: vacuum or statistics switched off. Warning:
 * statement statistics not loaded. The rest are recommendations that do not change the status.
 */
public final class SettingsCheck implements HealthCheck {
  public static final String NAME = "settings";

  static final List<String> READ = List.of("shared_preload_libraries", "autovacuum", "track_counts", "track_io_timing",
      "track_activity_query_size", "idle_in_transaction_session_timeout", "statement_timeout", "log_min_duration_statement",
      "log_lock_waits", "max_connections", "shared_buffers", "work_mem", "maintenance_work_mem", "random_page_cost",
      "pg_stat_statements.max", "pg_stat_statements.track", "max_slot_wal_keep_size");

  /** One row of pg_settings; {@code value} with its unit applied (e.g. "128MB"). */
  public record Setting(String name, String value, String rawValue) {}

  /** A judged setting. {@code status} OK with a non-null advice is a recommendation. */
  public record Finding(String name, String value, Status status, String advice) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    List<Setting> settings = Sql.list(ctx.connection(), """
        SELECT name, current_setting(name) AS pretty, setting FROM pg_settings WHERE name = ANY (?) ORDER BY name""",
        rs -> new Setting(rs.getString(1), rs.getString(2), rs.getString(3)),
        ctx.connection().createArrayOf("text", READ.toArray()));
    return evaluate(settings);
  }

  public static CheckResult evaluate(List<Setting> settings) {
    Map<String, Setting> by = new LinkedHashMap<>();
    settings.forEach(s -> by.put(s.name(), s));
    List<Finding> findings = new ArrayList<>();
    for (Setting s : settings) {
      findings.add(judge(s));
    }
    Status status = findings.stream().map(Finding::status).reduce(Status.OK, Status::worst);
    List<Finding> bad = findings.stream().filter(f -> f.status() != Status.OK).toList();
    List<Finding> advice = findings.stream().filter(f -> f.status() == Status.OK && f.advice() != null).toList();
    String message = bad.isEmpty()
        ? (advice.isEmpty() ? "all monitored settings are sensible" : advice.size() + " recommendations: "
            + String.join(", ", advice.stream().map(Finding::name).toList()))
        : String.join("; ", bad.stream().map(f -> f.name() + " = " + f.value()).toList());
    String fix = bad.isEmpty() ? (advice.isEmpty() ? null : advice.get(0).advice()) : bad.get(0).advice();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("settings", findings.stream().map(f -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", f.name());
      m.put("value", f.value());
      m.put("status", f.status().json());
      m.put("advice", f.advice());
      return m;
    }).toList());
    return new CheckResult(NAME, status, bad.size(), bad.size() + " to fix, " + advice.size() + " advised", Threshold.above(1.0, null, "settings"),
        message, fix, details);
  }

  static Finding judge(Setting s) {
    String v = s.value();
    return switch (s.name()) {
      case "autovacuum" -> v.equals("on") ? ok(s) : new Finding(s.name(), v, Status.CRITICAL,
          "turn autovacuum on: without it dead rows pile up and transaction ids wrap around");
      case "track_counts" -> v.equals("on") ? ok(s) : new Finding(s.name(), v, Status.CRITICAL,
          "turn track_counts on: autovacuum and every table statistic depend on it");
      case "shared_preload_libraries" -> List.of(v.split("\\s*,\\s*")).contains("pg_stat_statements") ? ok(s)
          : new Finding(s.name(), v.isEmpty() ? "''" : v, Status.WARNING,
              "add pg_stat_statements to shared_preload_libraries and restart (on RDS/Aurora: the parameter group; "
                  + "Neon and Supabase load it already), then CREATE EXTENSION pg_stat_statements");
      case "track_io_timing" -> v.equals("on") ? ok(s) : advise(s,
          "set track_io_timing = on to see I/O time per statement (check the cost with pg_test_timing first)");
      case "track_activity_query_size" -> Long.parseLong(s.rawValue()) >= 2048 ? ok(s) : advise(s,
          "raise track_activity_query_size to 4096 so long statements are not cut off (needs a restart)");
      case "idle_in_transaction_session_timeout" -> !s.rawValue().equals("0") ? ok(s) : advise(s,
          "set idle_in_transaction_session_timeout (e.g. 5min) for application roles so forgotten transactions end");
      case "log_min_duration_statement" -> !s.rawValue().equals("-1") ? ok(s) : advise(s,
          "set log_min_duration_statement (e.g. 1s) so slow statements leave a trace with their parameters");
      case "log_lock_waits" -> v.equals("on") ? ok(s) : advise(s,
          "set log_lock_waits = on to log waits longer than deadlock_timeout");
      case "max_slot_wal_keep_size" -> !s.rawValue().equals("-1") ? ok(s) : advise(s,
          "set max_slot_wal_keep_size so an abandoned replication slot cannot fill the disk");
      default -> ok(s);
    };
  }

  private static Finding ok(Setting s) {
    return new Finding(s.name(), s.value(), Status.OK, null);
  }

  private static Finding advise(Setting s, String advice) {
    return new Finding(s.name(), s.value(), Status.OK, advice);
  }
}
