package dev.pgopt.collect;

import java.util.List;

/** What the catalogs say about a table a plan touches: its size and its indexes. */
public record TableFacts(String schema, String table, double rows, long pages, List<Index> indexes) {

  /** How tables are looked up: "schema.table". */
  public static String key(String schema, String table) {
    return (schema == null ? "" : schema) + "." + table;
  }

  /**
   * @param method btree, hnsw, ivfflat, gin, ...
   * @param columns the indexed columns or expressions, in order
   * @param opclasses the operator class of each column
   */
  public record Index(String name, String method, List<String> columns, List<String> opclasses, String definition) {}
}
