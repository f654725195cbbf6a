package dev.pgopt.advise;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one statement of a finding's action does to an index, read from the SQL pgopt itself generates: build, drop,
 * rebuild, or something else. Two builds of the same definition on the same table are the same index whatever their
 * names; a drop and a rebuild of one index contradict each other.
 *
 * @param index the index dropped or rebuilt, schema-qualified as written; for a build, its name
 * @param definition for a build: the table and everything after it, with whitespace collapsed (the index's identity)
 */
public record IndexStatement(Kind kind, String index, String definition) {
  public enum Kind { CREATE, DROP, REINDEX, OTHER }

  private static final String NAME = "(?:\"(?:[^\"]|\"\")+\"|[^\\s\"(;]+)(?:\\.(?:\"(?:[^\"]|\"\")+\"|[^\\s\"(;]+))?";
  private static final Pattern CREATE = Pattern.compile(
      "(?is)^CREATE\\s+(UNIQUE\\s+)?INDEX\\s+CONCURRENTLY\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(" + NAME + ")\\s+ON\\s+(.*?);?\\s*$");
  private static final Pattern DROP = Pattern.compile("(?is)^DROP\\s+INDEX\\s+(?:CONCURRENTLY\\s+)?(?:IF\\s+EXISTS\\s+)?(" + NAME + ")\\s*;?\\s*$");
  private static final Pattern TABLE = Pattern.compile("(?is)^(?:ONLY\\s+)?(" + NAME + ")");
  private static final Pattern REINDEX = Pattern.compile("(?is)^REINDEX\\s+(?:\\([^)]*\\)\\s*)?INDEX\\s+(?:CONCURRENTLY\\s+)?(" + NAME + ")\\s*;?\\s*$");

  /** The statements of an action, one per line group ending in ';'. */
  public static List<IndexStatement> of(String actionSql) {
    List<IndexStatement> out = new ArrayList<>();
    for (String stmt : actionSql.split(";\\s*(?:--[^\\n]*)?\\n")) {
      String s = stmt.strip();
      if (s.isEmpty()) {
        continue;
      }
      Matcher m;
      if ((m = CREATE.matcher(s)).matches()) {
        out.add(new IndexStatement(Kind.CREATE, m.group(2), (m.group(1) == null ? "" : "unique ")
            + m.group(3).replaceAll("\\s+", " ").strip().toLowerCase(Locale.ROOT)));
      } else if ((m = DROP.matcher(s)).matches()) {
        out.add(new IndexStatement(Kind.DROP, m.group(1), null));
      } else if ((m = REINDEX.matcher(s)).matches()) {
        out.add(new IndexStatement(Kind.REINDEX, m.group(1), null));
      } else {
        out.add(new IndexStatement(Kind.OTHER, null, null));
      }
    }
    return out;
  }

  /** The index a build statement creates, as the catalog spells it: its table's schema ({@code public} if unqualified). */
  public record BuiltIndex(String schema, String name) {}

  /** The index {@code statement} builds, when it is one {@code CREATE INDEX CONCURRENTLY} as pgopt writes them. */
  public static Optional<BuiltIndex> built(String statement) {
    Matcher m = CREATE.matcher(statement.strip());
    if (!m.matches()) {
      return Optional.empty();
    }
    Matcher t = TABLE.matcher(m.group(3));
    List<String> table = t.find() ? parts(t.group(1)) : List.of();
    List<String> index = parts(m.group(2));
    return Optional.of(new BuiltIndex(table.size() == 2 ? table.get(0) : "public", index.get(index.size() - 1)));
  }

  /**
   * A build read back from {@link #definition}: its table, method, keys and INCLUDE columns as written (lower case), and
   * whether it is partial.
   */
  public record Shape(String table, boolean unique, String method, List<String> keys, List<String> include, boolean partial) {}

  /** The shape of a build; empty for other statements or text pgopt does not write. */
  public Optional<Shape> shape() {
    if (kind != Kind.CREATE) {
      return Optional.empty();
    }
    boolean unique = definition.startsWith("unique ");
    String d = unique ? definition.substring("unique ".length()) : definition;
    Matcher t = TABLE.matcher(d);
    if (!t.find()) {
      return Optional.empty();
    }
    String table = String.join(".", parts(t.group(1)));
    String rest = d.substring(t.end()).strip();
    String method = "btree";
    if (rest.startsWith("using ")) {
      int open = rest.indexOf('(');
      if (open < 0) {
        return Optional.empty();
      }
      method = rest.substring("using ".length(), open).strip();
      rest = rest.substring(open);
    }
    int end = closing(rest);
    if (!rest.startsWith("(") || end < 0) {
      return Optional.empty();
    }
    List<String> keys = split(rest.substring(1, end));
    rest = rest.substring(end + 1).strip();
    List<String> include = List.of();
    if (rest.startsWith("include ")) {
      rest = rest.substring("include ".length()).strip();
      int close = closing(rest);
      if (!rest.startsWith("(") || close < 0) {
        return Optional.empty();
      }
      include = split(rest.substring(1, close));
      rest = rest.substring(close + 1).strip();
    }
    if (rest.startsWith("with ")) {
      rest = rest.substring("with ".length()).strip();
      int close = closing(rest);
      if (!rest.startsWith("(") || close < 0) {
        return Optional.empty();
      }
      rest = rest.substring(close + 1).strip();
    }
    return Optional.of(new Shape(table, unique, method, keys, include, rest.startsWith("where ")));
  }

  /** The index of the parenthesis that closes the one {@code s} starts with, outside quotes; -1 if none. */
  private static int closing(String s) {
    int[] depth = depths(s);
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == ')' && depth[i] == 1) {
        return i;
      }
    }
    return -1;
  }

  /** A list split at its top-level commas, each item stripped. */
  private static List<String> split(String list) {
    int[] depth = depths(list);
    List<String> out = new ArrayList<>();
    int from = 0;
    for (int i = 0; i < list.length(); i++) {
      if (list.charAt(i) == ',' && depth[i] == 0) {
        out.add(list.substring(from, i).strip());
        from = i + 1;
      }
    }
    out.add(list.substring(from).strip());
    return out;
  }

  /** For each character, how many parentheses are open before it; -1 inside a quoted name or literal. */
  private static int[] depths(String s) {
    int[] out = new int[s.length()];
    int depth = 0;
    char quote = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        out[i] = -1;
        if (c == quote) {
          quote = 0;
        }
      } else if (c == '"' || c == '\'') {
        out[i] = -1;
        quote = c;
      } else {
        out[i] = depth;
        depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      }
    }
    return out;
  }

  /** The index as one comparable key: each dotted part unquoted, unquoted parts folded to lower case. */
  public String indexKey() {
    return String.join(".", parts(index));
  }

  private static List<String> parts(String index) {
    List<String> parts = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    boolean wasQuoted = false;
    for (int i = 0; i < index.length(); i++) {
      char c = index.charAt(i);
      if (c == '"') {
        if (quoted && i + 1 < index.length() && index.charAt(i + 1) == '"') {
          cur.append('"');
          i++;
        } else {
          quoted = !quoted;
          wasQuoted = true;
        }
      } else if (c == '.' && !quoted) {
        parts.add(wasQuoted ? cur.toString() : cur.toString().toLowerCase(Locale.ROOT));
        cur.setLength(0);
        wasQuoted = false;
      } else {
        cur.append(c);
      }
    }
    parts.add(wasQuoted ? cur.toString() : cur.toString().toLowerCase(Locale.ROOT));
    return parts;
  }
}
