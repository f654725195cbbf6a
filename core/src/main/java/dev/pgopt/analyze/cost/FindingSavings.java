package dev.pgopt.analyze.cost;

import dev.pgopt.advise.Finding;
import dev.pgopt.cloud.price.PriceTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Puts a monthly figure on findings whose action changes storage: dropping an unused, duplicate, redundant or invalid
 * index, or rebuilding a bloated one saves its bytes' storage; a proposed index costs its estimated size. On a provider
 * that bills provisioned storage (RDS, a VM's volume) the saving only reaches the bill when the volume shrinks, and
 * the figure says so.
 */
public final class FindingSavings {
  private static final Set<String> DROPS = Set.of("index.unused", "index.duplicate", "index.redundant", "index.invalid");
  private static final Set<String> REBUILDS = Set.of("table.bloat", "index.bloat");

  private FindingSavings() {}

  public static List<Finding> annotate(List<Finding> findings, PriceTable prices) {
    List<Finding> out = new ArrayList<>(findings.size());
    boolean provisioned = !prices.id().startsWith("neon");
    for (Finding f : findings) {
      Long bytes = null;
      String key = null;
      if (DROPS.contains(f.rule()) && f.impact().get("size_bytes") instanceof Number n) {
        bytes = n.longValue();
        key = "monthly_saving";
      } else if (REBUILDS.contains(f.rule()) && f.impact().get("reclaimable_bytes") instanceof Number n) {
        bytes = n.longValue();
        key = "monthly_saving";
      } else if (f.rule().equals("index.missing") && f.impact().get("size_bytes") instanceof Number n) {
        bytes = n.longValue();
        key = "monthly_cost";
      }
      if (key == null) {
        out.add(f);
        continue;
      }
      Map<String, Object> impact = new LinkedHashMap<>(f.impact());
      impact.put(key, round(prices.storagePerMonth(bytes)));
      impact.put("currency", prices.currency());
      impact.put("price_table", prices.id() + " (" + prices.checked() + ")");
      if (provisioned && key.equals("monthly_saving")) {
        impact.put("saving_note", "billed by provisioned size: the saving reaches the bill when the volume is made smaller");
      }
      out.add(new Finding(f.id(), f.rule(), f.severity(), f.object(), f.title(), f.evidence(), impact, f.confidence(), f.action()));
    }
    return out;
  }

  /** Largest monthly saving first; findings without one keep their order after them. */
  public static List<Finding> bySaving(List<Finding> findings) {
    List<Finding> sorted = new ArrayList<>(findings);
    sorted.sort(Comparator.comparingDouble(FindingSavings::saving).reversed());
    return sorted;
  }

  public static double saving(Finding f) {
    return f.impact().get("monthly_saving") instanceof Number n ? n.doubleValue() : 0;
  }

  /** To a hundredth of a cent: a small index's saving is small, not nothing. */
  static double round(double v) {
    return Math.round(v * 10_000) / 10_000.0;
  }
}
