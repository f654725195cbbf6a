package dev.pgopt.cli.internal;

import dev.pgopt.analyze.health.Units;
import dev.pgopt.vector.inspect.VectorColumn;
import dev.pgopt.vector.inspect.VectorIndex;
import dev.pgopt.vector.inspect.VectorInventory;
import dev.pgopt.vector.inspect.VectorSettings;
import dev.pgopt.vector.inspect.VectorStatement;
import dev.pgopt.vector.tune.SweepPoint;
import dev.pgopt.vector.tune.TuneResult;
import java.util.stream.Collectors;

/** Terminal renderings of {@code pgopt vector inspect} and {@code pgopt vector tune}. */
public final class HumanVector {
  private HumanVector() {}

  public static String inspect(VectorInventory inv, String target, int width) {
    StringBuilder sb = new StringBuilder();
    sb.append("pgvector ").append(inv.pgvectorVersion()).append(" in ").append(target).append('\n');
    inv.versionWarnings().forEach(w -> sb.append("  ! ").append(w).append('\n'));
    VectorSettings s = inv.settings();
    sb.append("settings: hnsw.ef_search ").append(s.efSearch())
        .append(", hnsw.iterative_scan ").append(s.iterativeScan() == null ? "(not available)" : s.iterativeScan())
        .append(s.maxScanTuples() == null ? "" : ", hnsw.max_scan_tuples " + Units.count(s.maxScanTuples()))
        .append(", ivfflat.probes ").append(s.probes())
        .append(", maintenance_work_mem ").append(Units.bytes(s.maintenanceWorkMemBytes()))
        .append(", max_parallel_maintenance_workers ").append(s.maxParallelMaintenanceWorkers()).append("\n\n");
    sb.append("Vector columns\n");
    if (inv.columns().isEmpty()) {
      sb.append("  (none)\n");
    }
    for (VectorColumn c : inv.columns()) {
      sb.append(String.format("  %-40s %-14s %12s rows   table %s (TOAST %s)%s%s%n", c.qualifiedTable() + "." + c.column(),
          c.type() + (c.dimensions() == null ? "" : "(" + c.dimensions() + ")"), Units.count(c.rows()),
          Units.bytes(c.tableBytes()), Units.bytes(c.toastBytes()),
          c.estimatedColumnBytes() == null ? "   column: run ANALYZE for its size"
              : "   column ~" + Units.bytes(c.estimatedColumnBytes()),
          c.partitions() == 0 ? "" : "   " + c.partitions() + " partitions"));
    }
    sb.append("\nANN indexes\n");
    if (inv.indexes().isEmpty()) {
      sb.append("  (none)\n");
    }
    for (VectorIndex i : inv.indexes()) {
      String params = i.hnsw() ? "m=" + i.m() + " ef_construction=" + i.efConstruction() : "lists=" + i.lists();
      sb.append(String.format("  %-40s %-8s %-22s %-26s %10s  %s%s%s%n", i.schema() + "." + i.name(), i.method(), i.opclass(),
          params, Units.bytes(i.sizeBytes()), i.valid() ? "valid" : "INVALID", i.partial() ? ", partial" : "",
          i.partitionIndexes().isEmpty() ? "" : ", " + i.partitionIndexes().size() + " partitions' graphs"));
    }
    sb.append("\nStatements searching by distance (pg_stat_statements)\n");
    if (inv.statements().isEmpty()) {
      sb.append("  (none recorded)\n");
    }
    for (VectorStatement st : inv.statements()) {
      sb.append(String.format("  %9s ms mean  %9s calls  %5.1f rows/call  %s%n", String.format("%.2f", st.meanMs()),
          Units.count(st.calls()), st.rowsPerCall(), st.planError() != null ? "not plannable: " + st.planError()
              : st.annIndex() == null ? "NO ANN INDEX USED" : "uses " + st.annIndex()));
      sb.append("      ").append(Units.truncate(st.query().replaceAll("\\s+", " ").strip(), width)).append('\n');
      st.problems().forEach(p -> sb.append("      ! ").append(p).append('\n'));
    }
    inv.notes().forEach(n -> sb.append("\nnote: ").append(n).append('\n'));
    return sb.toString();
  }

  public static String tune(TuneResult r, String target) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%s.%s.%s  %s(%d), %s rows%s%n", r.schema(), r.table(), r.column(), r.columnType(),
        r.dimensions(), Units.count(r.rows()), r.filter() == null ? "" : " matching " + r.filter()));
    sb.append(String.format("index %s: %s %s, %s%n", r.index(), r.method(), r.opclass(), r.indexParameters()));
    if (r.partitions() > 0) {
      sb.append(String.format("partitioned: %d partitions, each with its own graph; a search scans %d of them%n",
          r.partitions(), r.partitionsSearched()));
    }
    sb.append(String.format("%d queries (%s), k = %d, target recall %.3f, in %s%n%n", r.queries(), r.queriesFrom(), r.k(),
        r.targetRecall(), target));
    sb.append(String.format("  %-22s %-14s %8s %9s %10s %10s %9s%n", "setting", "iterative", "recall", "rows", "mean ms",
        "p95 ms", "QPS"));
    sb.append(String.format("  %-22s %-14s %8s %9s %10.3f %10s %9.0f%n", "exact search", "", "1.000", "", r.exactMeanMs(), "",
        r.exactQps()));
    for (SweepPoint p : r.points()) {
      boolean chosen = p.equals(r.recommended());
      sb.append(String.format("%s %-22s %-14s %8.3f %9.1f %10.3f %10.3f %9.0f%s%n", chosen ? ">" : " ",
          p.setting() + " " + p.value(), p.iterativeScan(), p.recall(), p.meanRows(), p.meanMs(), p.p95Ms(), p.qps(),
          p.complete(r.k()) ? "" : "  fewer rows than k"));
    }
    sb.append('\n');
    if (r.targetMet()) {
      SweepPoint p = r.recommended();
      sb.append(String.format("Recommended: %s = %d%s: recall %.3f at %.3f ms mean, %.0f QPS (%.1fx exact search).%n",
          p.setting(), p.value(), p.iterativeScan().equals("off") || p.iterativeScan().equals("n/a") ? ""
              : " with hnsw.iterative_scan = " + p.iterativeScan(), p.recall(), p.meanMs(), p.qps(),
          r.exactQps() == 0 ? 0 : p.qps() / r.exactQps()));
      sb.append("Apply with one of:\n").append(r.applySql().stream().map(s -> "  " + s).collect(Collectors.joining("\n")))
          .append('\n');
    } else {
      sb.append("Target not met.\n");
    }
    r.advice().forEach(a -> sb.append("  ").append(a).append('\n'));
    return sb.toString();
  }
}
