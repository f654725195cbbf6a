package dev.pgopt.collect;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One node of an {@code EXPLAIN (FORMAT JSON)} plan, with the fields the insights read. Actual figures are null
 * without ANALYZE. Rows are per loop, as EXPLAIN reports them. {@code output} is what the node returns (VERBOSE plans
 * only, else empty).
 */
public record PlanNode(String nodeType, String schema, String relation, String alias, String indexName, double totalCost,
                       double planRows, Double actualRows, Double actualLoops, String filter, String joinFilter, String indexCondition,
                       Double rowsRemovedByFilter,
                       List<String> sortKey, String sortSpaceType, Double sortSpaceUsedKb, Integer hashBatches,
                       Integer originalHashBatches, Double lossyHeapBlocks, Double exactHeapBlocks, String parentRelationship,
                       String joinCondition, List<String> output, List<PlanNode> children) {

  public static PlanNode parse(JsonNode n) {
    List<PlanNode> children = new ArrayList<>();
    for (JsonNode c : n.path("Plans")) {
      children.add(parse(c));
    }
    List<String> sortKey = new ArrayList<>();
    for (JsonNode k : n.path("Sort Key")) {
      sortKey.add(k.asText());
    }
    List<String> output = new ArrayList<>();
    for (JsonNode o : n.path("Output")) {
      output.add(o.asText());
    }
    return new PlanNode(n.path("Node Type").asText(), text(n, "Schema"), text(n, "Relation Name"), text(n, "Alias"),
        text(n, "Index Name"), n.path("Total Cost").asDouble(), n.path("Plan Rows").asDouble(), number(n, "Actual Rows"),
        number(n, "Actual Loops"), text(n, "Filter"), text(n, "Join Filter"), text(n, "Index Cond") != null ? text(n, "Index Cond") : text(n, "Recheck Cond"),
        number(n, "Rows Removed by Filter"), sortKey, text(n, "Sort Space Type"),
        number(n, "Sort Space Used"), integer(n, "Hash Batches"), integer(n, "Original Hash Batches"),
        number(n, "Lossy Heap Blocks"), number(n, "Exact Heap Blocks"), text(n, "Parent Relationship"),
        text(n, "Hash Cond") != null ? text(n, "Hash Cond") : text(n, "Merge Cond"), output, children);
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static Double number(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || !v.isNumber() ? null : v.asDouble();
  }

  private static Integer integer(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || !v.isNumber() ? null : v.asInt();
  }

  public boolean analyzed() {
    return actualRows != null;
  }

  /** Rows this node produced over all its loops: actual when analyzed, else the estimate. */
  public double totalRows() {
    if (analyzed()) {
      return actualRows * (actualLoops == null ? 1 : actualLoops);
    }
    return planRows;
  }

  /** "Seq Scan on public.messages m", for messages. */
  public String describe() {
    StringBuilder sb = new StringBuilder(nodeType);
    if (indexName != null) {
      sb.append(" using ").append(indexName);
    }
    if (relation != null) {
      sb.append(" on ").append(schema == null ? "" : schema + ".").append(relation);
      if (alias != null && !alias.equals(relation)) {
        sb.append(' ').append(alias);
      }
    }
    return sb.toString();
  }

  /** This node and every node below it, depth first. */
  public void walk(Consumer<PlanNode> visitor) {
    visitor.accept(this);
    children.forEach(c -> c.walk(visitor));
  }
}
