package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.Rule;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.analyze.health.checks.SequencesCheck;
import dev.pgopt.connect.Quoting;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code sequence.exhaustion}: sequences past half of what the column they feed can hold (info), three quarters
 * (warning) or 90 % (critical). The fix widens the column, which rewrites the table: it is offline work to plan.
 */
public final class SequenceExhaustionRule implements Rule {
  @Override
  public String id() {
    return "sequence.exhaustion";
  }

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    List<Finding> out = new ArrayList<>();
    for (SequencesCheck.Sequence s : SequencesCheck.read(ctx.connection())) {
      double used = s.usedPercent();
      if (!s.readable() || s.cycle() || used < 50) {
        continue;
      }
      Map<String, Object> evidence = new LinkedHashMap<>();
      evidence.put("last_value", s.lastValue());
      evidence.put("limit", s.effectiveLimit());
      evidence.put("used_percent", Math.round(used * 100) / 100.0);
      evidence.put("column", s.column());
      evidence.put("column_type", s.columnType());
      String seq = Quoting.ident(s.schema()) + "." + Quoting.ident(s.name());
      String sql;
      SequencesCheck.Sequence.Owner owner = s.owner();
      if (owner != null && !"bigint".equals(s.columnType())) {
        sql = "ALTER TABLE " + Quoting.ident(owner.schema()) + "." + Quoting.ident(owner.table()) + " ALTER COLUMN "
            + Quoting.ident(owner.column()) + " TYPE bigint;\nALTER SEQUENCE " + seq + " AS bigint;";
      } else {
        sql = "ALTER SEQUENCE " + seq + " AS bigint MAXVALUE 9223372036854775807;";
      }
      out.add(new Finding(id() + ":" + s.schema() + "." + s.name(), id(),
          used >= 90 ? Severity.CRITICAL : used >= 75 ? Severity.WARNING : Severity.INFO,
          owner == null ? new DbObject(s.schema(), null, null, null)
              : new DbObject(owner.schema(), owner.table(), null, List.of(owner.column())),
          "sequence " + seq + " has used " + Units.percent(used) + " of " + Units.count(s.effectiveLimit())
              + (s.column() != null ? " (it feeds " + s.columnType() + " " + s.column() + ")" : ""),
          evidence, Map.of(), Confidence.MEASURED,
          new Action(sql, null, false, sql.startsWith("ALTER TABLE") ? "ACCESS EXCLUSIVE (rewrites the table)" : "SHARE ROW EXCLUSIVE",
              sql.startsWith("ALTER TABLE") ? "high" : "low")));
    }
    return out;
  }
}
