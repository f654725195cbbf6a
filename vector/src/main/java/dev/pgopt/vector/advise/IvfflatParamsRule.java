package dev.pgopt.vector.advise;

import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.IndexDefinition;
import dev.pgopt.connect.Quoting;
import dev.pgopt.vector.inspect.VectorColumn;
import dev.pgopt.vector.inspect.VectorIndex;
import dev.pgopt.vector.inspect.VectorInventory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code vector.ivfflat_params}: pgvector's guidance is lists ≈ rows / 1000 up to 1M rows, then √rows, and probes ≈
 * √lists. A list count off by more than 2× (or probes below half of √lists) costs recall or speed.
 */
final class IvfflatParamsRule extends InventoryRule {

  IvfflatParamsRule(SharedInventory shared) {
    super(shared);
  }

  @Override
  public String id() {
    return "vector.ivfflat_params";
  }

  static int recommendedLists(long rows) {
    return (int) Math.max(1, rows <= 1_000_000 ? rows / 1000 : Math.round(Math.sqrt(rows)));
  }

  @Override
  List<Finding> evaluate(VectorInventory inv) {
    List<Finding> out = new ArrayList<>();
    int probes = inv.settings().probes();
    for (VectorIndex i : inv.indexes()) {
      if (i.hnsw() || i.column() == null) {
        continue;
      }
      long rows = inv.columns().stream()
          .filter(c -> c.schema().equals(i.schema()) && c.table().equals(i.table()) && c.column().equals(i.column()))
          .mapToLong(VectorColumn::rows).findFirst().orElse(0);
      if (rows < 10_000) {
        continue;
      }
      int want = recommendedLists(rows);
      int wantProbes = (int) Math.max(1, Math.round(Math.sqrt(i.lists())));
      boolean listsOff = i.lists() * 2 < want || i.lists() > want * 2;
      boolean probesLow = probes * 2 < wantProbes;
      if (!listsOff && !probesLow) {
        continue;
      }
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("rows", rows);
      e.put("lists", i.lists());
      e.put("recommended_lists", want);
      e.put("ivfflat.probes", probes);
      e.put("recommended_probes", wantProbes);
      Action action = listsOff
          ? new Action(IndexDefinition.of(i.schema(), i.table(), i.name() + "_rebuilt", List.of(IndexDefinition.column(i.column(),
              i.opclass()))).using("ivfflat").with("lists = " + want).create() + "\n" + IndexDefinition.drop(i.schema(), i.name()),
              null, true, IndexDefinition.LOCKS, "medium")
          : new Action("ALTER DATABASE " + Quoting.ident(inv.database()) + " SET ivfflat.probes = " + wantProbes + ";",
              "ALTER DATABASE " + Quoting.ident(inv.database()) + " RESET ivfflat.probes;", true, "none", "low");
      out.add(new Finding(id() + ":" + i.schema() + "." + i.name(), id(), Severity.WARNING,
          new DbObject(i.schema(), i.table(), i.name(), List.of(i.column())),
          listsOff ? "IVFFlat index " + i.name() + " has lists = " + i.lists() + " for " + rows + " rows; about " + want
              + " fits (rows/1000, then √rows above 1M)"
              : "ivfflat.probes = " + probes + " for " + i.lists() + " lists; about √lists = " + wantProbes + " keeps recall",
          e, Map.of(), Confidence.HEURISTIC, action));
    }
    return out;
  }
}
