package dev.pgopt.collect;

/**
 * The little pgopt needs to know about a statement's text without parsing SQL: the highest {@code $n} parameter and
 * whether it only reads. Skips string literals, quoted identifiers, dollar quotes and comments.
 */
public final class SqlText {
  private SqlText() {}

  /** The highest parameter number in the text, 0 when there is none. */
  public static int maxParameter(String sql) {
    int max = 0;
    int i = 0;
    int n = sql.length();
    while (i < n) {
      char c = sql.charAt(i);
      if (c == '\'' || c == '"') {
        i = skipQuoted(sql, i, c);
      } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
        int nl = sql.indexOf('\n', i);
        i = nl < 0 ? n : nl + 1;
      } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
        int end = sql.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (c == '$') {
        int j = i + 1;
        while (j < n && Character.isDigit(sql.charAt(j))) {
          j++;
        }
        if (j > i + 1 && (i == 0 || !Character.isLetterOrDigit(sql.charAt(i - 1)) && sql.charAt(i - 1) != '_')) {
          max = Math.max(max, Integer.parseInt(sql.substring(i + 1, Math.min(j, i + 6))));
          i = j;
        } else {
          int close = dollarTagEnd(sql, i);
          if (close > 0) {
            String tag = sql.substring(i, close + 1);
            int end = sql.indexOf(tag, close + 1);
            i = end < 0 ? n : end + tag.length();
          } else {
            i++;
          }
        }
      } else {
        i++;
      }
    }
    return max;
  }

  private static final java.util.regex.Pattern TYPED_PLACEHOLDER = java.util.regex.Pattern.compile(
      "(?i)\\b(interval|timestamptz|timestamp|date|time|numeric|bigint|integer|int|text|json|jsonb|uuid|inet)\\s+\\$(\\d+)");

  /**
   * pg_stat_statements turns typed literals ({@code interval '30 days'}) into {@code interval $2}, which does not
   * parse; {@code $2::interval} does and means the same.
   */
  public static String typedPlaceholdersAsCasts(String sql) {
    return TYPED_PLACEHOLDER.matcher(sql).replaceAll("\\$$2::$1");
  }

  /** Whether the statement starts with SELECT, WITH, VALUES or TABLE, after comments and parentheses. */
  public static boolean startsAsQuery(String sql) {
    String s = stripLeading(sql).toLowerCase(java.util.Locale.ROOT);
    return s.startsWith("select") || s.startsWith("with") || s.startsWith("values") || s.startsWith("table");
  }

  private static String stripLeading(String sql) {
    int i = 0;
    int n = sql.length();
    while (i < n) {
      char c = sql.charAt(i);
      if (Character.isWhitespace(c) || c == '(') {
        i++;
      } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
        int nl = sql.indexOf('\n', i);
        i = nl < 0 ? n : nl + 1;
      } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
        int end = sql.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else {
        break;
      }
    }
    return sql.substring(i);
  }

  private static int skipQuoted(String sql, int start, char quote) {
    int i = start + 1;
    while (i < sql.length()) {
      if (sql.charAt(i) == quote) {
        if (i + 1 < sql.length() && sql.charAt(i + 1) == quote) {
          i += 2;
          continue;
        }
        return i + 1;
      }
      i++;
    }
    return sql.length();
  }

  /** The index of the closing '$' of a dollar-quote tag starting at {@code start}, or -1. */
  private static int dollarTagEnd(String sql, int start) {
    int i = start + 1;
    while (i < sql.length()) {
      char c = sql.charAt(i);
      if (c == '$') {
        return i;
      }
      if (!Character.isLetterOrDigit(c) && c != '_') {
        return -1;
      }
      i++;
    }
    return -1;
  }
}
