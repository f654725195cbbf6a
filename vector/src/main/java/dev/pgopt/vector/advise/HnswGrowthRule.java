package dev.pgopt.vector.advise;

import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.IndexDefinition;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Quoting;
import dev.pgopt.vector.inspect.VectorColumn;
import dev.pgopt.vector.inspect.VectorIndex;
import dev.pgopt.vector.inspect.VectorInventory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code vector.hnsw_growth}: an HNSW index much larger per live row than a fresh build. Every update of a vector
 * inserts a new element; the old one stays in the graph until VACUUM marks it deleted, and its page space is reused
 * only by later inserts, so a table with heavy updates and deletes keeps an index that is larger (more pages to read and
 * cache) and whose graph has been repaired many times. {@code REINDEX CONCURRENTLY} builds it anew.
 */
final class HnswGrowthRule extends InventoryRule {
  /** Reported from this many times a fresh build's size: well beyond what the estimate can be off by. */
  static final double RATIO = 2.0;
  /** ... and this many bytes over it, so that a rebuild is worth its time. */
  static final long MIN_EXCESS_BYTES = 8L << 20;

  HnswGrowthRule(SharedInventory shared) {
    super(shared);
  }

  @Override
  public String id() {
    return "vector.hnsw_growth";
  }

  @Override
  List<Finding> evaluate(VectorInventory inv) {
    List<Finding> out = new ArrayList<>();
    for (VectorIndex i : inv.indexes()) {
      if (!i.hnsw() || !i.valid() || i.partial() || i.column() == null) {
        continue;
      }
      Optional<VectorColumn> column = inv.column(i.schema(), i.table(), i.column());
      if (column.isEmpty() || column.get().dimensions() == null || column.get().rows() <= 0) {
        continue;
      }
      VectorColumn c = column.get();
      long live = Math.round(c.rows() * (1 - (c.nullFraction() == null ? 0 : c.nullFraction())));
      long fresh = freshBytes(live, c.dimensions(), c.type(), i.m());
      if (fresh <= 0 || i.sizeBytes() < RATIO * fresh || i.sizeBytes() - fresh < MIN_EXCESS_BYTES) {
        continue;
      }
      double ratio = (double) i.sizeBytes() / fresh;
      Map<String, Object> evidence = new LinkedHashMap<>();
      evidence.put("index_bytes", i.sizeBytes());
      evidence.put("live_rows", live);
      evidence.put("bytes_per_live_row", live == 0 ? null : i.sizeBytes() / live);
      evidence.put("fresh_build_bytes_estimate", fresh);
      evidence.put("ratio", Math.round(ratio * 10) / 10.0);
      // the action stays one plain statement, so that apply and the contradiction checks read it as a rebuild
      evidence.put("rebuild", "REINDEX CONCURRENTLY builds the index anew beside the old one; give the session"
          + " maintenance_work_mem of about " + Units.bytes(fresh) + " so that the graph is built in memory");
      evidence.put("how_estimated", "one element per row: the vector, 10 heap pointers and about (2 + 1/(m-1)) * m neighbour"
          + " pointers of 6 bytes, packed into 8 kB pages; checked against real builds in the tests");
      out.add(new Finding(id() + ":" + i.schema() + "." + i.name(), id(), ratio >= 3 ? Severity.WARNING : Severity.INFO,
          new DbObject(i.schema(), i.table(), i.name(), List.of(i.column())),
          String.format(java.util.Locale.ROOT, "HNSW index %s is %s for %,d live rows, %.1f times a fresh build (about %s):"
              + " updated and deleted vectors left their elements behind", i.name(), Units.bytes(i.sizeBytes()), live, ratio,
              Units.bytes(fresh)),
          evidence, Map.of("bytes_freed_estimate", i.sizeBytes() - fresh), Confidence.HEURISTIC,
          new Action(IndexDefinition.reindex(i.schema(), i.name()), null, true, IndexDefinition.LOCKS, "low")));
    }
    return out;
  }

  /** The size of a freshly built HNSW index over {@code rows} vectors of {@code dimensions}. */
  static long freshBytes(long rows, int dimensions, String type, int m) {
    int valueBytes = switch (type) {
      case "halfvec" -> 8 + 2 * dimensions;
      case "bit" -> 8 + (dimensions + 7) / 8;
      case "sparsevec" -> -1; // its size depends on the non-zero elements: not estimated
      default -> 8 + 4 * dimensions;
    };
    if (valueBytes < 0 || rows <= 0) {
      return -1;
    }
    // element tuple: type, level, deleted, version (4 bytes), 10 heap TIDs, the neighbour tuple's TID, padding
    int element = align(4 + 10 * 6 + 6 + 2 + valueBytes) + 4;
    double neighbours = (2 + 1.0 / Math.max(1, m - 1)) * m;
    int neighbourTuple = align(4 + (int) Math.ceil(neighbours) * 6) + 4;
    int usable = 8192 - 24 - 8;
    int perPage = usable / (element + neighbourTuple);
    // an element with its neighbours that does not fit a page has them on the next one
    long pages = perPage > 0 ? (rows + perPage - 1) / perPage : (long) Math.ceil(rows * (double) (element + neighbourTuple) / usable);
    return (pages + 2) * 8192;
  }

  private static int align(int bytes) {
    return (bytes + 7) & ~7;
  }
}
