package dev.pgopt.advise;

import dev.pgopt.connect.Quoting;
import java.util.List;
import java.util.Objects;

/**
 * The one place index DDL is written: a new index's definition, and the {@code CREATE}, {@code DROP} and
 * {@code REINDEX} text pgopt proposes for it, always {@code CONCURRENTLY} (writers keep going; the build takes SHARE
 * UPDATE EXCLUSIVE) and with every name quoted as {@code quote_ident} would. {@link IndexStatement} reads this text back.
 *
 * @param name null only for a what-if index, which HypoPG names itself
 * @param keys each key as SQL, as {@link #column} and {@link #expression} write it
 * @param include INCLUDE columns, unquoted names
 * @param predicate a partial index's WHERE, as SQL; null for none
 * @param storage storage parameters ({@code lists = 100}); null for none
 */
public record IndexDefinition(String schema, String table, String name, String method, List<String> keys, List<String> include,
                              String predicate, String storage) {
  /** What a concurrent build or drop locks. */
  public static final String LOCKS = "SHARE UPDATE EXCLUSIVE";

  public IndexDefinition {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(table, "table");
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("an index needs at least one key");
    }
    keys = List.copyOf(keys);
    include = List.copyOf(include);
  }

  /** A B-tree on {@code keys}; {@link #using}, {@link #including}, {@link #where} and {@link #with} add the rest. */
  public static IndexDefinition of(String schema, String table, String name, List<String> keys) {
    return new IndexDefinition(schema, table, name, "btree", keys, List.of(), null, null);
  }

  public IndexDefinition using(String method) {
    return new IndexDefinition(schema, table, name, method, keys, include, predicate, storage);
  }

  public IndexDefinition including(List<String> columns) {
    return new IndexDefinition(schema, table, name, method, keys, columns, predicate, storage);
  }

  public IndexDefinition where(String predicate) {
    return new IndexDefinition(schema, table, name, method, keys, include, predicate, storage);
  }

  public IndexDefinition with(String storage) {
    return new IndexDefinition(schema, table, name, method, keys, include, predicate, storage);
  }

  /** A column key, quoted; {@code opclass} (or null) after it. */
  public static String column(String column, String opclass) {
    return Quoting.ident(column) + (opclass == null ? "" : " " + opclass);
  }

  /** An expression key, parenthesized as CREATE INDEX requires; {@code opclass} (or null) after it. */
  public static String expression(String sql, String opclass) {
    return "(" + sql + ")" + (opclass == null ? "" : " " + opclass);
  }

  public String qualifiedName() {
    return qualified(schema, name);
  }

  public String qualifiedTable() {
    return qualified(schema, table);
  }

  /** {@code CREATE INDEX CONCURRENTLY ...;} */
  public String create() {
    return create(true) + ";";
  }

  /**
   * The CREATE INDEX without its semicolon; {@code concurrently} false only where the build happens inside a
   * transaction that is rolled back (a proof), where CONCURRENTLY is not allowed.
   */
  public String create(boolean concurrently) {
    return "CREATE INDEX " + (concurrently ? "CONCURRENTLY " : "") + (name == null ? "" : Quoting.ident(name) + " ") + "ON "
        + qualifiedTable()
        + (method.equals("btree") ? "" : " USING " + method) + " (" + String.join(", ", keys) + ")"
        + (include.isEmpty() ? "" : " INCLUDE (" + String.join(", ", include.stream().map(Quoting::ident).toList()) + ")")
        + (storage == null ? "" : " WITH (" + storage + ")")
        + (predicate == null ? "" : " WHERE " + predicate);
  }

  /** {@code DROP INDEX CONCURRENTLY schema.name;}: the undo of {@link #create()}. */
  public String drop() {
    return drop(schema, Objects.requireNonNull(name, "name"));
  }

  /** The build as a finding's action, undone by dropping it; {@code before} (or null) runs first in the session. */
  public Finding.Action action(String before) {
    return new Finding.Action((before == null ? "" : before + "\n") + create(), drop(), true, LOCKS, "low");
  }

  public static String drop(String schema, String name) {
    return "DROP INDEX CONCURRENTLY " + qualified(schema, name) + ";";
  }

  public static String reindex(String schema, String name) {
    return "REINDEX INDEX CONCURRENTLY " + qualified(schema, name) + ";";
  }

  /** pg_get_indexdef's CREATE INDEX, built CONCURRENTLY: how pgopt recreates an index it drops. */
  public static String concurrently(String indexDefinition) {
    return indexDefinition.replaceFirst("^CREATE (UNIQUE )?INDEX ", "CREATE $1INDEX CONCURRENTLY ") + ";";
  }

  /** The same, under another name (a replacement built beside the index before it is dropped). */
  public static String concurrently(String indexDefinition, String name) {
    return concurrently(indexDefinition).replaceFirst("^(CREATE (?:UNIQUE )?INDEX CONCURRENTLY )(?:\"(?:[^\"]|\"\")+\"|\\S+)( ON )",
        "$1" + java.util.regex.Matcher.quoteReplacement(Quoting.ident(name)) + "$2");
  }

  /** {@code DROP INDEX CONCURRENTLY IF EXISTS}: for cleaning up after a build that failed, which may have left nothing. */
  public static String dropIfExists(String schema, String name) {
    return "DROP INDEX CONCURRENTLY IF EXISTS " + qualified(schema, name) + ";";
  }

  private static String qualified(String schema, String name) {
    return Quoting.ident(schema) + "." + Quoting.ident(name);
  }
}
