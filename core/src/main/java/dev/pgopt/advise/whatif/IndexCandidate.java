package dev.pgopt.advise.whatif;

import dev.pgopt.advise.IndexDefinition;
import dev.pgopt.connect.Quoting;
import java.util.List;

/**
 * An index pgopt considers: a B-tree (columns in order, each possibly DESC, possibly partial, possibly with INCLUDE
 * columns for index-only scans) or a BRIN index on one column. {@code key} identifies it for de-duplication and
 * caching.
 *
 * @param columns column names, unquoted
 * @param descending per column, whether it is DESC
 * @param predicate a partial index's WHERE clause with quoted identifiers (e.g. {@code deleted_at IS NULL}), or null
 * @param method {@code btree} or {@code brin}
 * @param include B-tree INCLUDE columns, unquoted; empty for none
 */
public record IndexCandidate(String schema, String table, List<String> columns, List<Boolean> descending, String predicate,
                             String method, List<String> include) {
  public static final String BTREE = "btree";
  public static final String BRIN = "brin";

  public IndexCandidate {
    include = List.copyOf(include);
  }

  public IndexCandidate(String schema, String table, List<String> columns, List<Boolean> descending, String predicate) {
    this(schema, table, columns, descending, predicate, BTREE, List.of());
  }

  public IndexCandidate(String schema, String table, List<String> columns, List<Boolean> descending) {
    this(schema, table, columns, descending, null);
  }

  /** A BRIN index on one column: a few pages per million rows, for a column that follows the physical row order. */
  public static IndexCandidate brin(String schema, String table, String column) {
    return new IndexCandidate(schema, table, List.of(column), List.of(false), null, BRIN, List.of());
  }

  /** This B-tree with {@code columns} carried in its leaves, so that a scan that reads only them skips the table. */
  public IndexCandidate including(List<String> columns) {
    return new IndexCandidate(schema, table, this.columns, descending, predicate, method, columns);
  }

  public boolean brin() {
    return method.equals(BRIN);
  }

  public String key() {
    StringBuilder sb = new StringBuilder(schema).append('.').append(table).append(brin() ? " brin(" : "(");
    for (int i = 0; i < columns.size(); i++) {
      sb.append(i == 0 ? "" : ",").append(columns.get(i)).append(descending.get(i) ? " desc" : "");
    }
    sb.append(')');
    if (!include.isEmpty()) {
      sb.append(" include(").append(String.join(",", include)).append(')');
    }
    return predicate == null ? sb.toString() : sb.append(" where ").append(predicate).toString();
  }

  /** "(project_id, created_at DESC)" with quoting. */
  public String columnList() {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < columns.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(Quoting.ident(columns.get(i))).append(descending.get(i) ? " DESC" : "");
    }
    return sb.append(')').toString();
  }

  /** "index on public.t (a, b DESC) INCLUDE (c)", "index on public.t (a) WHERE NOT done", "BRIN index on public.t (d)". */
  public String describe() {
    return (brin() ? "BRIN index on " : "index on ") + qualifiedTable() + " " + columnList()
        + (include.isEmpty() ? "" : " INCLUDE (" + String.join(", ", include.stream().map(Quoting::ident).toList()) + ")")
        + (predicate == null ? "" : " WHERE " + predicate);
  }

  public String qualifiedTable() {
    return Quoting.ident(schema) + "." + Quoting.ident(table);
  }

  public String indexName() {
    List<String> parts = new java.util.ArrayList<>(columns);
    if (!include.isEmpty()) {
      parts.add("incl");
      parts.addAll(include);
    }
    if (brin()) {
      parts.add("brin");
    }
    if (predicate != null) {
      // the predicate in the name: two partial indexes on the same columns differ by it (owner WHERE NOT done, owner
      // WHERE urgent)
      parts.add("where");
      parts.add(predicate.replaceAll("::[a-z ]+(?:\\[\\])?", "").toLowerCase(java.util.Locale.ROOT)
          .replaceAll("[^\\p{L}\\p{N}]+", "_").replaceAll("^_|_$", ""));
    }
    return Quoting.indexName(table, parts);
  }

  /** The index to build, named by {@link #indexName()}, or unnamed for HypoPG. */
  public IndexDefinition definition(boolean named) {
    List<String> keys = new java.util.ArrayList<>();
    for (int i = 0; i < columns.size(); i++) {
      keys.add(IndexDefinition.column(columns.get(i), descending.get(i) ? "DESC" : null));
    }
    return new IndexDefinition(schema, table, named ? indexName() : null, method, keys, include, predicate, null);
  }

  /**
   * Whether an index on {@code existingColumns} (keys, then INCLUDE columns) starts with all of this candidate's columns
   * and holds its INCLUDE columns: then it adds nothing, partial or not.
   */
  public boolean coveredBy(List<String> existingColumns) {
    return existingColumns.size() >= columns.size() && existingColumns.subList(0, columns.size()).equals(columns)
        && existingColumns.containsAll(include);
  }
}
