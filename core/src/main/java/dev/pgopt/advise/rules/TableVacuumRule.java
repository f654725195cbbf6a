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
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code table.vacuum}: tables where dead rows make up a large share, with the age of the last (auto)vacuum and what
 * holds cleanup back: the oldest transaction, a replication slot, a prepared transaction. Vacuum cannot remove rows
 * that one of those may still see, so they are named first.
 */
public final class TableVacuumRule implements Rule {
  static final double WARNING_PERCENT = 20;
  static final double CRITICAL_PERCENT = 50;
  static final long MIN_DEAD = 1_000;
  /** A horizon holder younger than this many transactions does not hold back anything that matters. */
  static final long HOLDER_MIN_AGE = 1_000;

  @Override
  public String id() {
    return "table.vacuum";
  }

  record Holder(String kind, String name, long xidAge, String detail) {}

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    record Table(String schema, String table, String qualified, long live, long dead, Timestamp lastVacuum,
                 Timestamp lastAutovacuum, long autovacuumCount, boolean autovacuumOff) {}
    // A table autovacuum never visits (autovacuum_enabled = false, or autovacuum off) is reported with any 1,000 dead
    // rows: nothing will remove them.
    List<Table> tables = Sql.list(ctx.connection(), """
        SELECT t.schemaname, t.relname, format('%I.%I', t.schemaname, t.relname), t.n_live_tup, t.n_dead_tup,
               t.last_vacuum, t.last_autovacuum, t.autovacuum_count,
               current_setting('autovacuum') = 'off' OR coalesce((SELECT option_value FROM pg_options_to_table(c.reloptions)
                 WHERE option_name = 'autovacuum_enabled'), 'true') IN ('false', 'off', 'no', '0') AS autovacuum_off
          FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
         WHERE t.n_dead_tup >= ?
         ORDER BY t.n_dead_tup DESC""",
        rs -> new Table(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5), rs.getTimestamp(6),
            rs.getTimestamp(7), rs.getLong(8), rs.getBoolean(9)),
        MIN_DEAD);
    tables.removeIf(t -> !t.autovacuumOff() && 100.0 * t.dead() / Math.max(1, t.live() + t.dead()) < WARNING_PERCENT);
    if (tables.isEmpty()) {
      return List.of();
    }
    List<Holder> holders = holders(ctx);
    List<Finding> out = new ArrayList<>();
    for (Table t : tables) {
      double pct = 100.0 * t.dead() / Math.max(1, t.live() + t.dead());
      Timestamp last = t.lastVacuum() == null ? t.lastAutovacuum()
          : t.lastAutovacuum() == null || t.lastVacuum().after(t.lastAutovacuum()) ? t.lastVacuum() : t.lastAutovacuum();
      Map<String, Object> evidence = new LinkedHashMap<>();
      evidence.put("live_rows", t.live());
      evidence.put("dead_rows", t.dead());
      evidence.put("dead_percent", Math.round(pct * 10) / 10.0);
      evidence.put("last_vacuum", last == null ? null : last.toInstant().toString());
      evidence.put("autovacuum_count", t.autovacuumCount());
      evidence.put("autovacuum_disabled", t.autovacuumOff());
      evidence.put("cleanup_held_back_by", holders.stream().map(h -> Map.of("kind", h.kind(), "name", h.name(),
          "xid_age", h.xidAge(), "detail", h.detail())).toList());
      String blocker = holders.isEmpty() ? "" : "; cleanup is held back by " + holders.get(0).kind() + " " + holders.get(0).name()
          + " (" + holders.get(0).detail() + ") — end it first, or VACUUM cannot remove these rows";
      if (t.autovacuumOff()) {
        blocker += "; autovacuum is disabled for it, so nothing removes dead rows but a manual VACUUM (ALTER TABLE "
            + t.qualified() + " RESET (autovacuum_enabled) turns it back on)";
      }
      out.add(new Finding(id() + ":" + t.schema() + "." + t.table(), id(),
          pct >= CRITICAL_PERCENT ? Severity.CRITICAL : pct >= WARNING_PERCENT ? Severity.WARNING : Severity.INFO,
          DbObject.table(t.schema(), t.table()),
          t.qualified() + " is " + Units.percent(pct) + " dead rows (" + Units.count(t.dead()) + "), last vacuum "
              + (last == null ? "never" : last.toInstant().toString()) + blocker,
          evidence, Map.of("dead_rows_reclaimed", t.dead()), Confidence.MEASURED,
          new Action("VACUUM (VERBOSE, ANALYZE) " + t.qualified() + ";", null, true, "SHARE UPDATE EXCLUSIVE",
              holders.isEmpty() ? "low" : "medium")));
    }
    return out;
  }

  /** What holds the xmin horizon back, oldest first. */
  static List<Holder> holders(AdviceContext ctx) throws SQLException {
    List<Holder> holders = new ArrayList<>();
    holders.addAll(Sql.list(ctx.connection(), """
        SELECT pid, coalesce(state, ''), age(backend_xmin)::int8, coalesce(extract(epoch FROM now() - xact_start), 0)::float8,
               coalesce(usename, '')
          FROM pg_stat_activity WHERE backend_xmin IS NOT NULL AND pid <> pg_backend_pid() AND age(backend_xmin) >= ?
         ORDER BY age(backend_xmin) DESC LIMIT 3""",
        rs -> new Holder("transaction", "pid " + rs.getInt(1), rs.getLong(3), rs.getString(2) + " for "
            + Units.seconds(rs.getDouble(4)) + " by " + rs.getString(5)), HOLDER_MIN_AGE));
    holders.addAll(Sql.list(ctx.connection(), """
        SELECT slot_name, greatest(coalesce(age(xmin), 0), coalesce(age(catalog_xmin), 0))::int8, active
          FROM pg_replication_slots
         WHERE greatest(coalesce(age(xmin), 0), coalesce(age(catalog_xmin), 0)) >= ?""",
        rs -> new Holder("replication slot", rs.getString(1), rs.getLong(2), rs.getBoolean(3) ? "active" : "inactive"),
        HOLDER_MIN_AGE));
    holders.addAll(Sql.list(ctx.connection(), """
        SELECT gid, age(transaction)::int8, prepared::text, owner FROM pg_prepared_xacts WHERE age(transaction) >= ?""",
        rs -> new Holder("prepared transaction", rs.getString(1), rs.getLong(2), "prepared at " + rs.getString(3)
            + " by " + rs.getString(4) + ": COMMIT PREPARED or ROLLBACK PREPARED it"), HOLDER_MIN_AGE));
    holders.sort((a, b) -> Long.compare(b.xidAge(), a.xidAge()));
    return holders;
  }
}
