package dev.pgopt.connect;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** Identifier quoting and naming for the SQL pgopt proposes, as quote_ident does it. */
public final class Quoting {
  private static final Set<String> RESERVED = Set.of("all", "analyse", "analyze", "and", "any", "array", "as", "asc",
      "asymmetric", "both", "case", "cast", "check", "collate", "column", "constraint", "create", "current_date",
      "current_role", "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do",
      "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in", "initially",
      "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null", "offset", "on", "only",
      "or", "order", "placing", "primary", "references", "returning", "select", "session_user", "some", "symmetric", "table",
      "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where", "window", "with");

  private Quoting() {}

  public static String ident(String name) {
    if (name.matches("[a-z_][a-z0-9_$]*") && !RESERVED.contains(name)) {
      return name;
    }
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  /** table_col1_col2_idx, cut to PostgreSQL's 63 bytes with a hash suffix when longer. */
  public static String indexName(String table, List<String> columns) {
    String name = table + "_" + String.join("_", columns) + "_idx";
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= 63) {
      return name;
    }
    String hash = Integer.toHexString(name.hashCode());
    String base = new String(Arrays.copyOf(bytes, 63 - hash.length() - 1), StandardCharsets.UTF_8).replace("\uFFFD", "");
    return base + "_" + hash;
  }
}
