package dev.pgopt.analyze.plan;

import dev.pgopt.collect.PlanNode;
import dev.pgopt.collect.TableFacts;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a plan for the patterns that make statements slow. Each rule names the node and the numbers. Rules that need
 * actual figures (spills, misestimates, lossy bitmaps) only fire on {@code EXPLAIN ANALYZE} plans.
 */
public final class PlanInsights {
  /** A table smaller than this is read whole cheaply; scanning it is no finding. */
  public static final double LARGE_TABLE_ROWS = 10_000;
  /** A filter keeping at most this share of a large table is selective enough for an index. */
  public static final double SELECTIVE_SHARE = 0.05;
  public static final double MISESTIMATE_FACTOR = 10;
  public static final double MISESTIMATE_MIN_ROWS = 100;
  public static final double LARGE_OUTER_ROWS = 10_000;
  public static final double LARGE_SORT_ROWS = 100_000;

  /** pgvector operator classes and the distance operator each serves. */
  static final Map<String, String> ANN_OPERATOR_OF_OPCLASS = Map.ofEntries(
      Map.entry("vector_l2_ops", "<->"), Map.entry("halfvec_l2_ops", "<->"), Map.entry("sparsevec_l2_ops", "<->"),
      Map.entry("vector_ip_ops", "<#>"), Map.entry("halfvec_ip_ops", "<#>"), Map.entry("sparsevec_ip_ops", "<#>"),
      Map.entry("vector_cosine_ops", "<=>"), Map.entry("halfvec_cosine_ops", "<=>"), Map.entry("sparsevec_cosine_ops", "<=>"),
      Map.entry("vector_l1_ops", "<+>"), Map.entry("halfvec_l1_ops", "<+>"), Map.entry("sparsevec_l1_ops", "<+>"),
      Map.entry("bit_hamming_ops", "<~>"), Map.entry("bit_jaccard_ops", "<%>"));
  /** A sort key an index can deliver: a column, not an aggregate or a computed rank. */
  private static final Pattern PLAIN_COLUMN = Pattern.compile("[\\w.\"]+( DESC| ASC)?( NULLS (FIRST|LAST))?");
  private static final Pattern DISTANCE = Pattern.compile("\\(?\\s*([\\w.\"]+)\\s*(<->|<=>|<#>|<\\+>|<~>|<%>)");

  private PlanInsights() {}

  public static List<PlanInsight> of(PlanNode root, Map<String, TableFacts> tables) {
    List<PlanInsight> out = new ArrayList<>();
    visit(root, Place.TOP, tables, out);
    return out;
  }

  /** Where a node sits: in the chain that produces the statement's result order, below a Limit, or elsewhere. */
  private enum Place { TOP, UNDER_LIMIT, INSIDE }

  private static void visit(PlanNode n, Place place, Map<String, TableFacts> tables, List<PlanInsight> out) {
    seqScan(n, tables).ifPresent(out::add);
    spill(n).ifPresent(out::add);
    misestimate(n).ifPresent(out::add);
    nestedLoop(n).ifPresent(out::add);
    lossyBitmap(n).ifPresent(out::add);
    if (n.nodeType().equals("Sort")) {
      annIndexUnused(n, tables).ifPresent(out::add);
      double rows = n.children().stream().mapToDouble(PlanNode::totalRows).sum();
      if (place == Place.UNDER_LIMIT && n.sortKey().stream().allMatch(k -> PLAIN_COLUMN.matcher(k).matches())) {
        out.add(orderLimitWithoutIndex(n));
      } else if (place == Place.TOP && rows >= LARGE_SORT_ROWS) {
        out.add(new PlanInsight("sort_without_limit", n.describe(), "sorts " + count(rows) + " rows" + estimated(n) + " by "
            + String.join(", ", n.sortKey()) + " with no LIMIT", numbers("rows", rows), "add a LIMIT (keyset pagination) "
            + "or an index that delivers this order"));
      }
    }
    for (PlanNode c : n.children()) {
      boolean orderChain = c.nodeType().equals("Sort") || c.nodeType().equals("Gather Merge") || c.nodeType().equals("Result");
      Place next = !orderChain || place == Place.INSIDE ? Place.INSIDE
          : n.nodeType().equals("Limit") ? Place.UNDER_LIMIT : place;
      visit(c, next, tables, out);
    }
  }

  /** ILIKE, or LIKE with a leading wildcard or an unknown pattern ($n), as EXPLAIN VERBOSE prints them. */
  private static final java.util.regex.Pattern PATTERN_MATCH =
      java.util.regex.Pattern.compile("~~\\*|!~~\\*|~~ '%|~~ \\$\\d");

  static Optional<PlanInsight> seqScan(PlanNode n, Map<String, TableFacts> tables) {
    if (!n.nodeType().equals("Seq Scan") || n.filter() == null) {
      return Optional.empty();
    }
    TableFacts t = tables.get(TableFacts.key(n.schema(), n.relation()));
    // reltuples is -1 (read as 0) until the table is first vacuumed or analyzed: then trust the plan
    double tableRows = t != null && t.rows() > 0 ? t.rows()
        : n.totalRows() + (n.rowsRemovedByFilter() == null ? 0 : n.rowsRemovedByFilter());
    if (tableRows < LARGE_TABLE_ROWS) {
      return Optional.empty();
    }
    double perLoopOut = n.analyzed() ? n.actualRows() : n.planRows();
    double share = perLoopOut / tableRows;
    if (share > SELECTIVE_SHARE) {
      return Optional.empty();
    }
    Map<String, Object> numbers = numbers("table", TableFacts.key(n.schema(), n.relation()), "table_rows", tableRows, "rows_returned", perLoopOut,
        "selectivity_percent", round(100 * share, 4));
    if (n.rowsRemovedByFilter() != null) {
      numbers.put("rows_removed_by_filter", n.rowsRemovedByFilter());
    }
    if (n.actualLoops() != null && n.actualLoops() > 1) {
      numbers.put("loops", n.actualLoops());
    }
    boolean pattern = PATTERN_MATCH.matcher(n.filter()).find();
    return Optional.of(new PlanInsight("seq_scan_selective_filter", n.describe(), "reads all " + count(tableRows)
        + " rows to return " + count(perLoopOut) + estimated(n) + " (" + percent(share) + ") with filter " + n.filter(), numbers,
        pattern ? "a B-tree cannot serve ILIKE or a LIKE pattern that starts with a wildcard: a trigram index can"
            + " (CREATE EXTENSION pg_trgm; CREATE INDEX CONCURRENTLY ... USING gin (column gin_trgm_ops))"
            : "an index on the filtered columns lets PostgreSQL read only the matching rows"));
  }

  static Optional<PlanInsight> spill(PlanNode n) {
    if ("Disk".equals(n.sortSpaceType())) {
      return Optional.of(new PlanInsight("sort_spill", n.describe(), "sort spilled " + count(n.sortSpaceUsedKb())
          + " kB to disk", numbers("disk_kb", n.sortSpaceUsedKb()), "raise work_mem for this statement (SET LOCAL work_mem) "
          + "to about " + count(Math.ceil(n.sortSpaceUsedKb() * 2 / 1024)) + " MB, or sort fewer rows"));
    }
    if (n.hashBatches() != null && n.hashBatches() > 1) {
      return Optional.of(new PlanInsight("hash_spill", n.describe(), "hash table split into " + n.hashBatches()
          + " batches on disk" + (n.originalHashBatches() != null && n.originalHashBatches() < n.hashBatches()
              ? " (planned " + n.originalHashBatches() + ")" : ""),
          numbers("batches", n.hashBatches(), "original_batches", n.originalHashBatches()),
          "raise work_mem (or hash_mem_multiplier) so the hash fits in memory"));
    }
    return Optional.empty();
  }

  static Optional<PlanInsight> misestimate(PlanNode n) {
    if (!n.analyzed() || n.actualLoops() == null || n.actualLoops() == 0) {
      return Optional.empty();
    }
    double actual = n.actualRows();
    double planned = n.planRows();
    double hi = Math.max(actual, planned);
    double lo = Math.max(Math.min(actual, planned), 1);
    if (hi < MISESTIMATE_MIN_ROWS || hi / lo < MISESTIMATE_FACTOR) {
      return Optional.empty();
    }
    return Optional.of(new PlanInsight("row_misestimate", n.describe(), "estimated " + count(planned) + " rows, got "
        + count(actual) + " (" + count(hi / lo) + "× " + (actual > planned ? "more" : "fewer") + ")",
        numbers("estimated_rows", planned, "actual_rows", actual, "factor", round(hi / lo, 1)),
        "ANALYZE the table; for correlated columns, CREATE STATISTICS (dependencies, ndistinct) on them"));
  }

  static Optional<PlanInsight> nestedLoop(PlanNode n) {
    if (!n.nodeType().equals("Nested Loop") || n.children().isEmpty()) {
      return Optional.empty();
    }
    PlanNode outer = n.children().get(0);
    double rows = outer.totalRows();
    if (rows < LARGE_OUTER_ROWS) {
      return Optional.empty();
    }
    return Optional.of(new PlanInsight("nested_loop_large_outer", n.describe(), "runs its inner side "
        + count(rows) + " times, once per row of " + outer.describe(), numbers("outer_rows", rows),
        "check the row estimate of the outer side; an index for the join condition or a hash join fits better"));
  }

  static Optional<PlanInsight> lossyBitmap(PlanNode n) {
    if (!n.nodeType().equals("Bitmap Heap Scan") || n.lossyHeapBlocks() == null || n.lossyHeapBlocks() <= 0) {
      return Optional.empty();
    }
    return Optional.of(new PlanInsight("lossy_bitmap", n.describe(), "bitmap went lossy for " + count(n.lossyHeapBlocks())
        + " heap blocks (exact " + count(n.exactHeapBlocks() == null ? 0 : n.exactHeapBlocks()) + "): every row in them is rechecked",
        numbers("lossy_blocks", n.lossyHeapBlocks(), "exact_blocks", n.exactHeapBlocks()),
        "raise work_mem so the bitmap stays exact, or make the condition more selective"));
  }

  static PlanInsight orderLimitWithoutIndex(PlanNode sort) {
    double rows = sort.children().stream().mapToDouble(PlanNode::totalRows).sum();
    return new PlanInsight("order_limit_without_index", sort.describe(), "ORDER BY " + String.join(", ", sort.sortKey())
        + " ... LIMIT sorts " + count(rows) + " rows" + estimated(sort) + " to return the first few", numbers("rows_sorted", rows),
        "an index whose leading columns are the equality filters and then " + String.join(", ", sort.sortKey())
            + " returns rows already in order and stops at the LIMIT");
  }

  static Optional<PlanInsight> annIndexUnused(PlanNode sort, Map<String, TableFacts> tables) {
    for (String key : sort.sortKey()) {
      Matcher m = DISTANCE.matcher(key);
      if (!m.find()) {
        continue;
      }
      String column = unqualified(m.group(1));
      String operator = m.group(2);
      List<PlanNode> scans = new ArrayList<>();
      sort.walk(x -> {
        if (x.relation() != null) {
          scans.add(x);
        }
      });
      for (PlanNode scan : scans) {
        TableFacts t = tables.get(TableFacts.key(scan.schema(), scan.relation()));
        if (t == null) {
          continue;
        }
        for (TableFacts.Index ix : t.indexes()) {
          if (!ix.method().equals("hnsw") && !ix.method().equals("ivfflat")) {
            continue;
          }
          String indexed = unqualified(ix.columns().get(0));
          String served = ANN_OPERATOR_OF_OPCLASS.get(ix.opclasses().get(0));
          String why;
          if (!indexed.equals(column)) {
            why = "it indexes " + ix.columns().get(0) + ", the ORDER BY computes the distance on " + m.group(1);
          } else if (served != null && !served.equals(operator)) {
            why = "its operator class " + ix.opclasses().get(0) + " serves " + served + ", the query orders by " + operator;
          } else {
            why = "the planner preferred an exact sort: check that the query has ORDER BY distance LIMIT k directly on the table"
                + " and that k is not above hnsw.ef_search";
          }
          return Optional.of(new PlanInsight("ann_index_unused", sort.describe(), "distance ORDER BY " + key
              + " does not use the " + ix.method() + " index " + ix.name() + ": " + why,
              numbers("index", ix.name(), "operator", operator, "index_opclass", ix.opclasses().get(0)),
              served != null && !served.equals(operator) ? "order by " + column + " " + served + " ..., or build the index with the "
                  + "operator class for " + operator : "match the ORDER BY expression to the indexed column and operator"));
        }
      }
    }
    return Optional.empty();
  }

  private static String estimated(PlanNode n) {
    return n.analyzed() ? "" : " (estimated)";
  }

  private static String unqualified(String s) {
    String x = s.replace("\"", "");
    int dot = x.lastIndexOf('.');
    return dot >= 0 ? x.substring(dot + 1) : x;
  }

  private static Map<String, Object> numbers(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  private static String count(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  private static String percent(double share) {
    return String.format(Locale.ROOT, share < 0.001 ? "%.3f %%" : "%.1f %%", 100 * share);
  }
}
