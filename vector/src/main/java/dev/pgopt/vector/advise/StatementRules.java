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
import dev.pgopt.vector.inspect.VectorStatement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rules that read how distance queries run (pg_stat_statements + generic plans, see {@link VectorInventory}):
 * each turns one kind of problem the inventory names into a finding with its evidence.
 */
final class StatementRules {
  private StatementRules() {}

  private abstract static class Base extends InventoryRule {
    Base(SharedInventory shared) {
      super(shared);
    }

    @Override
    List<Finding> evaluate(VectorInventory inv) {
      List<Finding> out = new ArrayList<>();
      for (VectorStatement s : inv.statements()) {
        for (String problem : s.problems()) {
          if (problem.startsWith(prefix())) {
            Finding f = finding(inv, s, problem);
            if (f != null && out.stream().noneMatch(o -> o.id().equals(f.id()))) {
              out.add(f);
            }
          }
        }
      }
      return out;
    }

    abstract String prefix();

    abstract Finding finding(VectorInventory inv, VectorStatement s, String problem);

    static Map<String, Object> evidence(VectorStatement s, String problem) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("queryid", s.queryId());
      e.put("query", s.query().length() > 300 ? s.query().substring(0, 300) + "…" : s.query());
      e.put("calls", s.calls());
      e.put("mean_ms", Math.round(s.meanMs() * 1000) / 1000.0);
      e.put("rows_per_call", Math.round(s.rowsPerCall() * 10) / 10.0);
      e.put("problem", problem);
      return e;
    }

    /** The vector column the statement searches: the one named in the query that pgopt found in a table. */
    static Optional<VectorColumn> column(VectorInventory inv, VectorStatement s) {
      return inv.columns().stream().filter(c -> c.column().equals(s.column()) && s.query().contains(c.table())).findFirst();
    }

    static Map<String, Object> impact(VectorStatement s) {
      return Map.of("ms_per_hour_at_current_rate", Math.round(s.meanMs() * s.calls()));
    }
  }

  /** {@code vector.no_ann_index}: distance search on a column without an HNSW/IVFFlat index reads the whole table. */
  static final class NoAnnIndex extends Base {
    NoAnnIndex(SharedInventory shared) {
      super(shared);
    }

    @Override
    public String id() {
      return "vector.no_ann_index";
    }

    @Override
    String prefix() {
      return "no HNSW or IVFFlat index";
    }

    @Override
    Finding finding(VectorInventory inv, VectorStatement s, String problem) {
      Optional<VectorColumn> col = column(inv, s);
      if (col.isEmpty() || s.operator() == null) {
        return null;
      }
      VectorColumn c = col.get();
      String name = c.table() + "_" + c.column() + "_hnsw";
      String opclass = s.operator().opclassFor(c.type());
      Map<String, Object> e = evidence(s, problem);
      e.put("table_rows", c.rows());
      return new Finding(id() + ":" + c.schema() + "." + c.table() + "." + c.column() + ":" + opclass, id(),
          c.rows() >= 10_000 ? Severity.WARNING : Severity.INFO, new DbObject(c.schema(), c.table(), null, List.of(c.column())),
          "distance search on " + c.qualifiedTable() + "." + c.column() + " has no ANN index: each query scans "
              + c.rows() + " rows",
          e, impact(s), Confidence.HEURISTIC,
          IndexDefinition.of(c.schema(), c.table(), name, List.of(IndexDefinition.column(c.column(), opclass))).using("hnsw")
              .action("SET maintenance_work_mem = '1GB';"));
    }
  }

  /** {@code vector.opclass_mismatch}: the query's operator is not the one the column's index serves. */
  static final class OpclassMismatch extends Base {
    OpclassMismatch(SharedInventory shared) {
      super(shared);
    }

    @Override
    public String id() {
      return "vector.opclass_mismatch";
    }

    @Override
    String prefix() {
      return "operator/opclass mismatch";
    }

    @Override
    Finding finding(VectorInventory inv, VectorStatement s, String problem) {
      Optional<VectorColumn> col = column(inv, s);
      if (col.isEmpty() || s.operator() == null) {
        return null;
      }
      VectorColumn c = col.get();
      String opclass = s.operator().opclassFor(c.type());
      IndexDefinition index = IndexDefinition.of(c.schema(), c.table(), c.table() + "_" + c.column() + "_"
          + opclass.replace("_ops", ""), List.of(IndexDefinition.column(c.column(), opclass))).using("hnsw");
      Map<String, Object> e = evidence(s, problem);
      e.put("indexes", inv.indexes().stream().filter(i -> c.column().equals(i.column()) && i.table().equals(c.table()))
          .map(i -> i.name() + " (" + i.opclass() + ")").toList());
      return new Finding(id() + ":" + c.schema() + "." + c.table() + "." + c.column() + ":" + opclass, id(), Severity.WARNING,
          new DbObject(c.schema(), c.table(), null, List.of(c.column())),
          "queries use " + s.operator().symbol() + " on " + c.qualifiedTable() + "." + c.column()
              + " but its index serves another operator: they scan the whole table",
          e, impact(s), Confidence.MEASURED,
          new Action(index.create() + "\n-- or change the queries to the index's operator, if that is the distance the"
              + " application means", index.drop(), true, IndexDefinition.LOCKS, "low"));
    }
  }

  /** {@code vector.ef_search_below_limit}: an HNSW scan returns at most ef_search rows, whatever the LIMIT. */
  static final class EfSearchBelowLimit extends Base {
    EfSearchBelowLimit(SharedInventory shared) {
      super(shared);
    }

    @Override
    public String id() {
      return "vector.ef_search_below_limit";
    }

    @Override
    String prefix() {
      return "returns ";
    }

    @Override
    Finding finding(VectorInventory inv, VectorStatement s, String problem) {
      int ef = inv.settings().efSearch();
      Map<String, Object> e = evidence(s, problem);
      e.put("hnsw.ef_search", ef);
      return new Finding(id() + ":" + s.queryId(), id(), Severity.WARNING, new DbObject(null, null, null, null),
          "a vector search returns about hnsw.ef_search = " + ef + " rows per call: larger LIMITs are silently cut",
          e, Map.of(), Confidence.HEURISTIC,
          new Action("SET LOCAL hnsw.ef_search = <at least the query's LIMIT>;  -- in the transaction that searches,"
              + " or measure first: pgopt vector tune", null, true, "none", "low"));
    }
  }

  /** {@code vector.filtered_recall}: a filter after the index scan, without iterative scan, starves results. */
  static final class FilteredRecall extends Base {
    FilteredRecall(SharedInventory shared) {
      super(shared);
    }

    @Override
    public String id() {
      return "vector.filtered_recall";
    }

    @Override
    String prefix() {
      return "filter applied after the index scan";
    }

    @Override
    Finding finding(VectorInventory inv, VectorStatement s, String problem) {
      Optional<VectorIndex> index = inv.indexes().stream().filter(i -> i.name().equals(s.annIndex())).findFirst();
      boolean hnsw = index.map(VectorIndex::hnsw).orElse(true);
      Map<String, Object> e = evidence(s, problem);
      e.put("hnsw.iterative_scan", inv.settings().iterativeScan());
      String db = Quoting.ident(inv.database());
      return new Finding(id() + ":" + s.queryId(), id(), Severity.WARNING,
          index.map(i -> new DbObject(i.schema(), i.table(), i.name(), null)).orElse(new DbObject(null, null, null, null)),
          "a filtered vector search can return fewer rows than its LIMIT: the filter runs after the index scan",
          e, Map.of(), Confidence.MEASURED,
          hnsw && inv.settings().iterativeScan() != null
              ? new Action("ALTER DATABASE " + db + " SET hnsw.iterative_scan = relaxed_order;",
                  "ALTER DATABASE " + db + " RESET hnsw.iterative_scan;", true, "none", "low")
              : null);
    }
  }

  /**
   * {@code vector.partition_fanout}: a search on a partitioned table that walks every partition's graph. Each graph is
   * searched (ef_search candidates) before the merge can return its first row: recall rises, but the cost grows with
   * the partitions, 2× at a 0.95 target over 12 partitions in docs/benchmarks/partitioning.md.
   */
  static final class PartitionFanout extends Base {
    PartitionFanout(SharedInventory shared) {
      super(shared);
    }

    @Override
    public String id() {
      return "vector.partition_fanout";
    }

    @Override
    String prefix() {
      return "searches ";
    }

    @Override
    Finding finding(VectorInventory inv, VectorStatement s, String problem) {
      Optional<VectorIndex> index = inv.indexes().stream().filter(i -> i.name().equals(s.annIndex())).findFirst();
      if (index.isEmpty() || !problem.contains("partitions")) {
        return null;
      }
      VectorIndex i = index.get();
      Map<String, Object> e = evidence(s, problem);
      e.put("partitions_searched", s.annScans());
      e.put("partitions", i.partitionIndexes().size());
      e.put("partition_key", i.partitionKey());
      e.put("suggestion", "when the application searches recent data, add the partition key to the search (WHERE "
          + String.join(", ", i.partitionKey()) + " >= ...) so it prunes; when it searches everything, fewer and larger"
          + " partitions keep the graphs few. Measure either: pgopt vector tune --table " + i.schema() + "." + i.table()
          + " [--filter '...']");
      return new Finding(id() + ":" + s.queryId(), id(), s.annScans() >= 12 ? Severity.WARNING : Severity.INFO,
          new DbObject(i.schema(), i.table(), i.name(), null),
          "a vector search on " + i.schema() + "." + i.table() + " walks " + s.annScans() + " partitions' graphs per call",
          e, impact(s), Confidence.MEASURED, null);
    }
  }
}
