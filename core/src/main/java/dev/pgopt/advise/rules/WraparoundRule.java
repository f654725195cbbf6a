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
import java.util.List;
import java.util.Map;

/**
 * {@code xid.wraparound}: tables whose oldest unfrozen transaction id nears {@code autovacuum_freeze_max_age} (the
 * table's own setting when it has one)
 * (80 %: an anti-wraparound vacuum is due soon, better run at a quiet hour) or is well past it (125 %: that vacuum is
 * not finishing).
 */
public final class WraparoundRule implements Rule {
  static final double SOON = 0.8;
  static final double BEHIND = 1.25;

  @Override
  public String id() {
    return "xid.wraparound";
  }

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    return Sql.list(ctx.connection(), """
        SELECT * FROM (
          SELECT n.nspname, c.relname, format('%I.%I', n.nspname, c.relname) AS qualified, age(c.relfrozenxid)::int8 AS age,
                 coalesce((SELECT option_value::int8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_freeze_max_age'),
                          current_setting('autovacuum_freeze_max_age')::int8) AS freeze_max_age,
                 pg_total_relation_size(c.oid) AS bytes
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')) t
         WHERE age >= ? * freeze_max_age
         ORDER BY age DESC""",
        rs -> {
          long age = rs.getLong(4);
          long max = rs.getLong(5);
          return new Finding(id() + ":" + rs.getString(1) + "." + rs.getString(2), id(),
              age >= BEHIND * max ? Severity.CRITICAL : Severity.WARNING, DbObject.table(rs.getString(1), rs.getString(2)),
              rs.getString(3) + " is " + Units.count(age) + " transactions old (" + Units.percent(100.0 * age / max)
                  + " of autovacuum_freeze_max_age): freeze it at a quiet hour before autovacuum does it under load",
              Map.of("xid_age", age, "autovacuum_freeze_max_age", max, "table_bytes", rs.getLong(6)), Map.of(),
              Confidence.MEASURED,
              new Action("VACUUM (FREEZE, VERBOSE) " + rs.getString(3) + ";", null, true, "SHARE UPDATE EXCLUSIVE", "low"));
        },
        SOON);
  }
}
