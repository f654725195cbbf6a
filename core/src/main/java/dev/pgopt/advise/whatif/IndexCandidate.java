package dev.pgopt.advise.whatif;

import java.util.List;

/**
 * A btree index pgopt considers: columns in order (each possibly with DESC), on one table, possibly partial.
 * {@code key} identifies it for de-duplication and caching.
 *
 * @param columns column names, unquoted
 * @param descending per column, whether it is DESC
 * @param predicate a partial index's WHERE clause with quoted identifiers (e.g. {@code deleted_at IS NULL}), or null
 */
public record IndexCandidate(String schema, String table, List<String> columns, List<Boolean> descending, String predicate) {

  public IndexCandidate(String schema, String table, List<String> columns, List<Boolean> descending) {
    this(schema, table, columns, descending, null);
  }

  public String key() {
    StringBuilder sb = new StringBuilder(schema).append('.').append(table).append('(');
    for (int i = 0; i < columns.size(); i++) {
      sb.append(i == 0 ? "" : ",").append(columns.get(i)).append(descending.get(i) ? " desc" : "");
    }
    sb.append(')');
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

  public String qualifiedTable() {
    return Quoting.ident(schema) + "." + Quoting.ident(table);
  }

  public String indexName() {
    if (predicate == null) {
      return Quoting.indexName(table, columns);
    }
    List<String> parts = new java.util.ArrayList<>(columns);
    parts.add("partial");
    return Quoting.indexName(table, parts);
  }

  /** What HypoPG and the user run, without a name (HypoPG names it) or with one. */
  public String ddl(boolean concurrently, boolean named) {
    return "CREATE INDEX " + (concurrently ? "CONCURRENTLY " : "") + (named ? Quoting.ident(indexName()) + " " : "")
        + "ON " + qualifiedTable() + " " + columnList() + (predicate == null ? "" : " WHERE " + predicate);
  }

  /** Whether {@code existingColumns} starts with all of this candidate's columns (then it adds nothing, partial or not). */
  public boolean coveredBy(List<String> existingColumns) {
    return existingColumns.size() >= columns.size() && existingColumns.subList(0, columns.size()).equals(columns);
  }
}
