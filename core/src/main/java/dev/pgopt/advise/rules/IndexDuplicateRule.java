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
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code index.duplicate}: indexes with identical definitions (method, columns, operator classes, collations,
 * options, expressions, predicate and uniqueness). One is kept: a constraint's index first, then the most scanned.
 */
public final class IndexDuplicateRule implements Rule {
  @Override
  public String id() {
    return "index.duplicate";
  }

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    List<IndexDefinitions.Index> all = IndexDefinitions.read(ctx.connection());
    List<Finding> out = new ArrayList<>();
    Set<String> grouped = new HashSet<>();
    for (IndexDefinitions.Index a : all) {
      if (grouped.contains(a.qualified())) {
        continue;
      }
      List<IndexDefinitions.Index> group = new ArrayList<>();
      for (IndexDefinitions.Index b : all) {
        if (b.sameDefinitionAs(a) && b.unique() == a.unique()) {
          group.add(b);
        }
      }
      if (group.size() < 2) {
        continue;
      }
      group.forEach(g -> grouped.add(g.qualified()));
      group.sort(Comparator.comparing((IndexDefinitions.Index g) -> !g.backsConstraint())
          .thenComparing(g -> -g.scans()).thenComparing(IndexDefinitions.Index::name));
      IndexDefinitions.Index keep = group.get(0);
      for (IndexDefinitions.Index drop : group.subList(1, group.size())) {
        if (drop.backsConstraint()) {
          continue;
        }
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("duplicate_of", keep.qualified());
        evidence.put("definition", drop.definition());
        evidence.put("kept_definition", keep.definition());
        evidence.put("idx_scan", drop.scans());
        evidence.put("kept_idx_scan", keep.scans());
        out.add(new Finding(id() + ":" + drop.schema() + "." + drop.name(), id(), Severity.WARNING,
            new DbObject(drop.schema(), drop.table(), drop.name(), drop.columnNames()),
            "index " + drop.qualified() + " duplicates " + keep.qualified() + ": drop it to save " + Units.bytes(drop.bytes())
                + " and its write cost", evidence, Map.of("size_bytes", drop.bytes()), Confidence.MEASURED,
            new Action(drop.dropSql(), drop.recreateSql(), true, dev.pgopt.advise.IndexDefinition.LOCKS, "low")));
      }
    }
    return out;
  }
}
