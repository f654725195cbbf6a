package dev.pgopt.client.observe.internal;

/**
 * SQL for logs with the data taken out: string, dollar-quoted and numeric literals become {@code ?}, comments go,
 * whitespace is collapsed. Run only for statements that are logged, never per statement.
 */
public final class SqlSanitizer {
  private static final int MAX_LENGTH = 2000;

  private SqlSanitizer() {}

  public static String sanitize(String sql) {
    if (sql == null) {
      return null;
    }
    StringBuilder out = new StringBuilder(Math.min(sql.length(), MAX_LENGTH + 16));
    int n = sql.length();
    int i = 0;
    while (i < n && out.length() <= MAX_LENGTH) {
      char c = sql.charAt(i);
      if (c == '\'' || ((c == 'E' || c == 'e') && i + 1 < n && sql.charAt(i + 1) == '\'' && !identifierBefore(sql, i))) {
        i = skipQuoted(sql, c == '\'' ? i : i + 1, c != '\'');
        out.append('?');
      } else if (c == '$' && dollarTagEnd(sql, i) > 0 && !identifierBefore(sql, i)) {
        int tagEnd = dollarTagEnd(sql, i);
        String tag = sql.substring(i, tagEnd + 1);
        int close = sql.indexOf(tag, tagEnd + 1);
        i = close < 0 ? n : close + tag.length();
        out.append('?');
      } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
        int nl = sql.indexOf('\n', i);
        i = nl < 0 ? n : nl;
      } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
        int end = sql.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (Character.isDigit(c) && !identifierBefore(sql, i)) {
        while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '.' || sql.charAt(i) == '_')) {
          i++;
        }
        out.append('?');
      } else if (c == '"') {
        int end = skipQuoted(sql, i, false);
        out.append(sql, i, end);
        i = end;
      } else if (Character.isWhitespace(c)) {
        if (!out.isEmpty() && out.charAt(out.length() - 1) != ' ') {
          out.append(' ');
        }
        i++;
      } else {
        out.append(c);
        i++;
      }
    }
    String s = out.toString().strip();
    return s.length() > MAX_LENGTH ? s.substring(0, MAX_LENGTH) + "…" : s;
  }

  private static boolean identifierBefore(String sql, int i) {
    if (i == 0) {
      return false;
    }
    char p = sql.charAt(i - 1);
    return Character.isLetterOrDigit(p) || p == '_' || p == '$';
  }

  /** Index just past the closing quote of the literal starting at {@code start}. */
  private static int skipQuoted(String sql, int start, boolean backslashEscapes) {
    char q = sql.charAt(start);
    int i = start + 1;
    while (i < sql.length()) {
      char c = sql.charAt(i);
      if (backslashEscapes && c == '\\') {
        i += 2;
      } else if (c == q) {
        if (i + 1 < sql.length() && sql.charAt(i + 1) == q) {
          i += 2;
        } else {
          return i + 1;
        }
      } else {
        i++;
      }
    }
    return sql.length();
  }

  /** For {@code $tag$} or {@code $$} at {@code i}, the index of the tag's closing {@code $}; else -1 ($1 is a parameter). */
  private static int dollarTagEnd(String sql, int i) {
    int j = i + 1;
    while (j < sql.length() && (Character.isLetter(sql.charAt(j)) || sql.charAt(j) == '_'
        || (j > i + 1 && Character.isDigit(sql.charAt(j))))) {
      j++;
    }
    return j < sql.length() && sql.charAt(j) == '$' ? j : -1;
  }
}
