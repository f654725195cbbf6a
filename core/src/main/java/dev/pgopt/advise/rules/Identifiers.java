package dev.pgopt.advise.rules;

import java.util.List;

/** Quoting and naming of identifiers in the SQL pgopt proposes. */
final class Identifiers {
  private Identifiers() {}

  /** Quotes like quote_ident: only when needed (not lower-case ASCII letters, digits and underscores, or a keyword-ish start). */
  static String quote(String ident) {
    if (ident.matches("[a-z_][a-z0-9_]*") && !RESERVED.contains(ident)) {
      return ident;
    }
    return '"' + ident.replace("\"", "\"\"") + '"';
  }

  /** A readable index name within PostgreSQL's 63-byte limit: table_col1_col2_idx. */
  static String indexName(String table, List<String> columns) {
    String name = table + "_" + String.join("_", columns) + "_idx";
    byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (bytes.length <= 63) {
      return name;
    }
    String hash = Integer.toHexString(name.hashCode());
    String base = new String(java.util.Arrays.copyOf(bytes, 63 - hash.length() - 1), java.nio.charset.StandardCharsets.UTF_8)
        .replace("\uFFFD", "");
    return base + "_" + hash;
  }

  private static final java.util.Set<String> RESERVED = java.util.Set.of("all", "analyse", "analyze", "and", "any", "array",
      "as", "asc", "asymmetric", "both", "case", "cast", "check", "collate", "column", "constraint", "create", "current_date",
      "current_role", "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do",
      "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in", "initially",
      "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null", "offset", "on", "only",
      "or", "order", "placing", "primary", "references", "returning", "select", "session_user", "some", "symmetric", "table",
      "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where", "window", "with");
}
