package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.Rule;
import dev.pgopt.analyze.health.Units;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code index.redundant}: a btree whose key columns are a leading prefix of another btree on the same table with the
 * same predicate, operator classes, collations and sort options; the longer one serves every query the shorter one
 * does. A unique or constraint index is never redundant (it enforces something), nor one with INCLUDE columns.
 */
public final class IndexRedundantRule implements Rule {
  @Override
  public String id() {
    return "index.redundant";
  }

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    List<IndexDefinitions.Index> all = IndexDefinitions.read(ctx.connection());
    List<Finding> out = new ArrayList<>();
    for (IndexDefinitions.Index a : all) {
      if (!a.method().equals("btree") || a.unique() || a.backsConstraint() || a.hasInclude() || a.keyColumns().contains("0")) {
        continue;
      }
      for (IndexDefinitions.Index b : all) {
        if (b == a || b.tableOid() != a.tableOid() || !b.method().equals("btree") || !covers(b, a)) {
          continue;
        }
        // identical twins are index.duplicate's
        if (b.keyCount() == a.keyCount() && !b.unique() && b.keys().equals(a.keys())) {
          continue;
        }
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("covered_by", b.qualified());
        evidence.put("definition", a.definition());
        evidence.put("covering_definition", b.definition());
        evidence.put("idx_scan", a.scans());
        evidence.put("covering_idx_scan", b.scans());
        out.add(new Finding(id() + ":" + a.schema() + "." + a.name(), id(), Severity.WARNING,
            new DbObject(a.schema(), a.table(), a.name(), a.columnNames()),
            "index " + a.qualified() + " (" + String.join(", ", a.columnNames()) + ") is a leading prefix of " + b.qualified()
                + " (" + String.join(", ", b.columnNames()) + "): drop it to save " + Units.bytes(a.bytes()),
            evidence, Map.of("size_bytes", a.bytes()), Confidence.MEASURED,
            new Action(a.dropSql(), a.recreateSql(), true, dev.pgopt.advise.IndexDefinition.LOCKS, "low")));
        break;
      }
    }
    return out;
  }

  /** Whether {@code longer}'s leading key columns are exactly {@code shorter}'s, with the same semantics. */
  static boolean covers(IndexDefinitions.Index longer, IndexDefinitions.Index shorter) {
    int n = shorter.keyCount();
    if (longer.keyCount() < n || !longer.predicate().equals(shorter.predicate()) || !longer.expressions().equals(shorter.expressions())) {
      return false;
    }
    return longer.keys().subList(0, n).equals(shorter.keyColumns())
        && longer.opclasses().subList(0, n).equals(shorter.opclasses().subList(0, n))
        && longer.collations().subList(0, n).equals(shorter.collations().subList(0, n))
        && longer.options().subList(0, n).equals(shorter.options().subList(0, n));
  }
}
