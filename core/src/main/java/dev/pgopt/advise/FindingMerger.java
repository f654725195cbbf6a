package dev.pgopt.advise;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes the advice one consistent plan. Findings whose actions do the same (build the same index, same table and
 * definition whatever the name, as {@code index.fk_missing} and {@code index.missing} often agree; drop the same index, as
 * {@code index.unused} and {@code index.redundant} do) become one finding that lists every reason.
 * A plain B-tree whose keys begin another proposed B-tree's keys is that index's job: its finding joins the larger one's
 * (an {@code index.fk_missing} on {@code (project_id)} beside {@code index.missing}'s {@code (project_id, created_at)}
 * would build an index {@code index.redundant} then reports). A finding that rebuilds an index another finding drops is
 * left out, with a note: dropping a redundant index beats rebuilding it.
 */
final class FindingMerger {
  private FindingMerger() {}

  /** @param findings sorted most severe first; the first of a merged group keeps its id */
  static List<Finding> merge(List<Finding> findings, List<String> notes) {
    Map<String, Integer> byDefinition = new LinkedHashMap<>();
    List<Finding> out = new ArrayList<>();
    for (Finding f : findings) {
      String definition = identity(f);
      Integer at = definition == null ? null : byDefinition.get(definition);
      if (at == null) {
        if (definition != null) {
          byDefinition.put(definition, out.size());
        }
        out.add(f);
      } else {
        out.set(at, absorb(out.get(at), f));
      }
    }
    out = withoutPrefixes(out);
    Set<String> dropped = new LinkedHashSet<>();
    Map<String, String> dropper = new LinkedHashMap<>();
    for (Finding f : out) {
      if (f.action() != null) {
        for (IndexStatement s : IndexStatement.of(f.action().sql())) {
          if (s.kind() == IndexStatement.Kind.DROP && dropped.add(s.indexKey())) {
            dropper.put(s.indexKey(), f.id());
          }
        }
      }
    }
    List<Finding> consistent = new ArrayList<>();
    for (Finding f : out) {
      String conflict = null;
      if (f.action() != null) {
        for (IndexStatement s : IndexStatement.of(f.action().sql())) {
          if (s.kind() == IndexStatement.Kind.REINDEX && dropped.contains(s.indexKey())) {
            conflict = s.indexKey();
          }
        }
      }
      if (conflict == null) {
        consistent.add(f);
      } else {
        notes.add(f.id() + " left out: it rebuilds " + conflict + ", which " + dropper.get(conflict) + " drops");
      }
    }
    return consistent;
  }

  private static List<Finding> withoutPrefixes(List<Finding> findings) {
    List<IndexStatement.Shape> shapes = new ArrayList<>();
    for (Finding f : findings) {
      List<IndexStatement> s = f.action() == null ? List.of() : IndexStatement.of(f.action().sql());
      shapes.add(s.size() == 1 ? s.get(0).shape().orElse(null) : null);
    }
    List<Finding> out = new ArrayList<>(findings);
    boolean[] gone = new boolean[findings.size()];
    for (int small = 0; small < findings.size(); small++) {
      IndexStatement.Shape s = shapes.get(small);
      if (s == null || s.unique() || s.partial() || !s.include().isEmpty() || !s.method().equals("btree")) {
        continue;
      }
      for (int big = 0; big < findings.size(); big++) {
        IndexStatement.Shape b = shapes.get(big);
        if (big != small && !gone[big] && b != null && !b.partial() && b.method().equals("btree") && b.table().equals(s.table())
            && (b.keys().size() > s.keys().size() || !b.include().isEmpty()) && b.keys().size() >= s.keys().size()
            && begins(b.keys(), s.keys(), findings.get(small).rule().equals("index.fk_missing"))) {
          out.set(big, absorb(out.get(big), out.get(small)));
          gone[small] = true;
          break;
        }
      }
    }
    List<Finding> kept = new ArrayList<>();
    for (int i = 0; i < out.size(); i++) {
      if (!gone[i]) {
        kept.add(out.get(i));
      }
    }
    // a finding that took in a more severe one moves up with it; the order is otherwise kept
    kept.sort(java.util.Comparator.comparing(Finding::severity));
    return kept;
  }

  /**
   * Whether {@code keys} begins with {@code prefix}: in order, or in any order where only equality lookups on all of
   * them need serving (a foreign key's check).
   */
  private static boolean begins(List<String> keys, List<String> prefix, boolean anyOrder) {
    List<String> head = keys.subList(0, prefix.size());
    return anyOrder ? Set.copyOf(head).equals(Set.copyOf(prefix)) && head.size() == Set.copyOf(head).size() : head.equals(prefix);
  }

  /** What a finding's action does, as a key two findings share when they do the same; null for no action. */
  private static String identity(Finding f) {
    if (f.action() == null) {
      return null;
    }
    List<IndexStatement> s = IndexStatement.of(f.action().sql());
    if (s.size() == 1) {
      IndexStatement one = s.get(0);
      switch (one.kind()) {
        case CREATE:
          return "create " + one.definition();
        case DROP:
        case REINDEX:
          return one.kind() + " " + one.indexKey();
        default:
          break;
      }
    }
    return "sql " + f.action().sql().replaceAll("\\s+", " ").strip();
  }

  private static Finding absorb(Finding kept, Finding other) {
    Map<String, Object> evidence = new LinkedHashMap<>(kept.evidence());
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> also = evidence.get("also") instanceof List<?> l
        ? new ArrayList<>((List<Map<String, Object>>) l) : new ArrayList<>();
    Map<String, Object> reason = new LinkedHashMap<>();
    reason.put("id", other.id());
    reason.put("rule", other.rule());
    reason.put("title", other.title());
    also.add(reason);
    evidence.put("also", also);
    // the more severe of the two: an index.fk_missing warning taken in by an info composite keeps its urgency
    Finding.Severity severity = other.severity().compareTo(kept.severity()) < 0 ? other.severity() : kept.severity();
    return new Finding(kept.id(), kept.rule(), severity, kept.object(), kept.title() + "; also " + other.rule(),
        evidence, kept.impact(), kept.confidence(), kept.action());
  }
}
