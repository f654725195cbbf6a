package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.Rule;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code config.table_autovacuum}: per-table autovacuum settings from dead-tuple rates. On a large table the default
 * {@code autovacuum_vacuum_scale_factor} (0.2) lets dead rows reach a fifth of the table before a vacuum; with the
 * table's update and delete rate that can mean many hours of growing scans and bloat. Proposes a scale factor at which
 * autovacuum runs about hourly at the observed rate.
 */
public final class TableAutovacuumRule implements Rule {
  static final double MIN_ROWS = 100_000;
  /** Vacuums further apart than this, at the observed churn, let dead rows pile up. */
  static final double MAX_HOURS_BETWEEN_VACUUMS = 6;
  static final double MIN_SCALE_FACTOR = 0.005;

  @Override
  public String id() {
    return "config.table_autovacuum";
  }

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    Instant since = Sql.one(ctx.connection(), """
        SELECT coalesce((SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()), pg_postmaster_start_time())""",
        rs -> rs.getTimestamp(1).toInstant());
    double hours = Math.max(1.0 / 60, Duration.between(since, ctx.clock().instant()).toSeconds() / 3600.0);
    return Sql.list(ctx.connection(), """
        SELECT t.schemaname, t.relname, format('%I.%I', t.schemaname, t.relname), greatest(c.reltuples, 0)::float8,
               (t.n_tup_upd + t.n_tup_del)::float8, t.n_dead_tup, t.n_live_tup, t.autovacuum_count,
               coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_vacuum_scale_factor'),
                        current_setting('autovacuum_vacuum_scale_factor')::float8),
               coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_vacuum_threshold'),
                        current_setting('autovacuum_vacuum_threshold')::float8)
          FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
         WHERE c.reltuples >= ? AND t.n_tup_upd + t.n_tup_del > 0""",
        rs -> {
          double rows = rs.getDouble(4);
          double churnPerHour = rs.getDouble(5) / hours;
          double factor = rs.getDouble(9);
          double threshold = rs.getDouble(10);
          double trigger = threshold + factor * rows;
          double hoursBetween = trigger / churnPerHour;
          if (hoursBetween < MAX_HOURS_BETWEEN_VACUUMS) {
            return null;
          }
          double proposed = Math.max(MIN_SCALE_FACTOR, Math.round(churnPerHour / rows * 1000) / 1000.0);
          if (proposed >= factor / 2) {
            return null;
          }
          long dead = rs.getLong(6);
          double deadShare = 100.0 * dead / Math.max(1, dead + rs.getLong(7));
          Map<String, Object> evidence = new LinkedHashMap<>();
          evidence.put("rows", Math.round(rows));
          evidence.put("updates_and_deletes_per_hour", Math.round(churnPerHour));
          evidence.put("observed_hours", Math.round(hours * 10) / 10.0);
          evidence.put("autovacuum_vacuum_scale_factor", factor);
          evidence.put("autovacuum_vacuum_threshold", threshold);
          evidence.put("dead_rows_before_vacuum", Math.round(trigger));
          evidence.put("hours_between_vacuums", Math.round(hoursBetween * 10) / 10.0);
          evidence.put("dead_percent_now", Math.round(deadShare * 10) / 10.0);
          evidence.put("autovacuum_count", rs.getLong(8));
          String qualified = rs.getString(3);
          return new Finding(id() + ":" + rs.getString(1) + "." + rs.getString(2), id(),
              deadShare >= 10 ? Severity.WARNING : Severity.INFO, DbObject.table(rs.getString(1), rs.getString(2)),
              qualified + " lets " + Units.count(trigger) + " dead rows pile up before autovacuum runs: about every "
                  + Units.seconds(hoursBetween * 3600) + " at its " + Units.count(churnPerHour) + " updates and deletes per hour",
              evidence, Map.of("dead_rows_before_vacuum_after", Math.round(1000 + proposed * rows)), Confidence.MEASURED,
              new Action("ALTER TABLE " + qualified + " SET (autovacuum_vacuum_scale_factor = " + proposed
                  + ", autovacuum_vacuum_threshold = 1000);",
                  "ALTER TABLE " + qualified + " RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);", true,
                  "SHARE UPDATE EXCLUSIVE", "low"));
        },
        MIN_ROWS).stream().filter(java.util.Objects::nonNull).toList();
  }
}
