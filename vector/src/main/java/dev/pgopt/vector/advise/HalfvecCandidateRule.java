package dev.pgopt.vector.advise;

import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.IndexDefinition;
import dev.pgopt.connect.Quoting;
import dev.pgopt.vector.inspect.DistanceOperator;
import dev.pgopt.vector.inspect.VectorColumn;
import dev.pgopt.vector.inspect.VectorIndex;
import dev.pgopt.vector.inspect.VectorInventory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code vector.halfvec_candidate}: a {@code vector} column big enough to matter. halfvec stores 2 bytes per dimension
 * instead of 4, so the column and its ANN indexes shrink by about half; on real embeddings recall is unchanged. The
 * cast fails for values outside fp16's range (±65,504), which the offered expression index would hit at build time.
 */
final class HalfvecCandidateRule extends InventoryRule {
  /** Below this (column plus its ANN indexes) a migration is not worth its risk. */
  static final long MIN_BYTES = 64L * 1024 * 1024;
  private final long minBytes;

  HalfvecCandidateRule(SharedInventory shared) {
    this(shared, MIN_BYTES);
  }

  HalfvecCandidateRule(SharedInventory shared, long minBytes) {
    super(shared);
    this.minBytes = minBytes;
  }

  @Override
  public String id() {
    return "vector.halfvec_candidate";
  }

  /** {@code <col>_vector_old} beside a halfvec {@code <col>}: what {@code vector migrate-halfvec} keeps after the swap. */
  static boolean leftOverByMigration(VectorInventory inv, VectorColumn c) {
    if (!c.column().endsWith("_vector_old")) {
      return false;
    }
    String migrated = c.column().substring(0, c.column().length() - "_vector_old".length());
    return inv.column(c.schema(), c.table(), migrated).filter(m -> m.type().equals("halfvec")).isPresent();
  }

  @Override
  List<Finding> evaluate(VectorInventory inv) {
    List<Finding> out = new ArrayList<>();
    for (VectorColumn c : inv.columns()) {
      if (!c.type().equals("vector") || c.dimensions() == null || c.dimensions() > 4000) {
        continue;
      }
      if (leftOverByMigration(inv, c)) {
        continue; // pgopt's own copy of the original, kept by migrate-halfvec until the user drops it
      }
      long columnBytes = c.estimatedColumnBytes() == null ? 0 : c.estimatedColumnBytes();
      List<VectorIndex> indexes = inv.indexes().stream()
          .filter(i -> i.schema().equals(c.schema()) && i.table().equals(c.table()) && c.column().equals(i.column())).toList();
      long indexBytes = indexes.stream().mapToLong(VectorIndex::sizeBytes).sum();
      if (columnBytes + indexBytes < minBytes) {
        continue;
      }
      long saving = columnBytes / 2 + indexBytes / 2;
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("dimensions", c.dimensions());
      e.put("rows", c.rows());
      e.put("column_bytes", columnBytes);
      e.put("ann_index_bytes", indexBytes);
      String n = Integer.toString(c.dimensions());
      DistanceOperator op = indexes.stream().map(VectorIndex::serves).filter(o -> o != null).findFirst().orElse(DistanceOperator.COSINE);
      IndexDefinition index = IndexDefinition.of(c.schema(), c.table(), c.table() + "_" + c.column() + "_halfvec",
          List.of(IndexDefinition.expression(Quoting.ident(c.column()) + "::halfvec(" + n + ")", op.opclassFor("halfvec"))))
          .using("hnsw");
      out.add(new Finding(id() + ":" + c.schema() + "." + c.table() + "." + c.column(), id(), Severity.INFO,
          new DbObject(c.schema(), c.table(), null, List.of(c.column())),
          "vector(" + n + ") column " + c.qualifiedTable() + "." + c.column() + " would take about half the space as halfvec",
          e, Map.of("size_bytes_saved", saving), Confidence.HEURISTIC,
          new Action(index.create() + "\n-- queries must then use the same expression: ORDER BY "
              + Quoting.ident(c.column()) + "::halfvec(" + n + ") " + op.symbol() + " $1::halfvec(" + n + ") LIMIT k;\n"
              + "-- this halves the index only; pgopt vector tune measures recall on it before the old index is dropped",
              index.drop(), true, IndexDefinition.LOCKS, "low")));
    }
    return out;
  }
}
