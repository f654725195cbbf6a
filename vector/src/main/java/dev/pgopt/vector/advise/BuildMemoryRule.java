package dev.pgopt.vector.advise;

import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.IndexDefinition;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.vector.inspect.VectorIndex;
import dev.pgopt.vector.inspect.VectorInventory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code vector.build_memory}: an HNSW index larger than maintenance_work_mem. pgvector builds the graph in memory and
 * falls back to a much slower on-disk build when it does not fit ("hnsw graph no longer fits into
 * maintenance_work_mem"), which matters for every REINDEX and rebuild.
 */
final class BuildMemoryRule extends InventoryRule {

  BuildMemoryRule(SharedInventory shared) {
    super(shared);
  }

  @Override
  public String id() {
    return "vector.build_memory";
  }

  @Override
  List<Finding> evaluate(VectorInventory inv) {
    List<Finding> out = new ArrayList<>();
    long mwm = inv.settings().maintenanceWorkMemBytes();
    for (VectorIndex i : inv.indexes()) {
      // each partition's graph is built on its own: the largest one must fit
      long graph = i.largestPartBytes();
      if (!i.hnsw() || graph <= mwm) {
        continue;
      }
      long want = (long) Math.ceil(graph * 1.25 / (64L * 1024 * 1024)) * 64;
      out.add(new Finding(id() + ":" + i.schema() + "." + i.name(), id(), Severity.INFO,
          new DbObject(i.schema(), i.table(), i.name(), null),
          "HNSW index " + i.name() + " (" + Units.bytes(graph) + (i.partitionIndexes().isEmpty() ? ""
              : " in its largest partition") + ") is larger than maintenance_work_mem (" + Units.bytes(mwm)
              + "): rebuilding it falls back to a slow on-disk graph build",
          Map.of("index_bytes", graph, "maintenance_work_mem_bytes", mwm), Map.of(), Confidence.MEASURED,
          new Action("-- in the session that builds or rebuilds it, and only when a rebuild is due\n"
              + "SET maintenance_work_mem = '" + want + "MB';\n" + IndexDefinition.reindex(i.schema(), i.name()), null, true,
              IndexDefinition.LOCKS, "low")));
    }
    return out;
  }
}
