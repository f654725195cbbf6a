package dev.pgopt.collect.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits statement text into the tokens PostgreSQL's own lexer would see, as far as pgopt needs them: identifiers
 * (folded to lower case unless quoted), operators, parameters, and statement-ending semicolons. Literals, dollar quotes
 * and comments (nested, as PostgreSQL nests them) are skipped, so a {@code ;} or a function name inside them is not
 * taken for one. It has to agree with the server: a lexer that saw one statement where the server sees two is how a
 * second statement gets run.
 */
public final class SqlLexer {
  /** What a token is. */
  public enum Kind { IDENTIFIER, OPERATOR, PARAMETER, SEMICOLON }

  /** A token and where it starts in the text. */
  public record Token(Kind kind, String text, int start, int end) {}

  /** The tokens of a text, or why the text cannot be read safely. */
  public record Result(List<Token> tokens, String problem) {}

  private static final String OPERATOR_CHARS = "+-*/<>=~!@#%^&|`?";

  private SqlLexer() {}

  /**
   * @param standardConformingStrings the session's setting: when off, a backslash escapes a quote in '...' too
   */
  public static Result lex(String sql, boolean standardConformingStrings) {
    List<Token> out = new ArrayList<>();
    int n = sql.length();
    int i = 0;
    while (i < n) {
      char c = sql.charAt(i);
      if (c == '\0') {
        return new Result(out, "the text contains a NUL character");
      }
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
        while (i < n && sql.charAt(i) != '\n' && sql.charAt(i) != '\r') {
          i++;
        }
      } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
        int depth = 1;
        i += 2;
        while (i < n && depth > 0) {
          if (sql.startsWith("/*", i)) {
            depth++;
            i += 2;
          } else if (sql.startsWith("*/", i)) {
            depth--;
            i += 2;
          } else {
            i++;
          }
        }
        if (depth > 0) {
          return new Result(out, "a /* comment is not closed");
        }
      } else if (c == '\'') {
        i = skipString(sql, i, !standardConformingStrings);
        if (i < 0) {
          return new Result(out, "a string literal is not closed");
        }
      } else if (c == '"') {
        int end = skipQuotedIdentifier(sql, i);
        if (end < 0) {
          return new Result(out, "a quoted identifier is not closed");
        }
        out.add(new Token(Kind.IDENTIFIER, sql.substring(i + 1, end - 1).replace("\"\"", "\""), i, end));
        i = end;
      } else if ((c == 'u' || c == 'U') && sql.startsWith("&", i + 1) && i + 2 < n
          && (sql.charAt(i + 2) == '\'' || sql.charAt(i + 2) == '"')) {
        if (sql.charAt(i + 2) == '"') {
          // U&"d\0061ta" names an object by escapes; pgopt does not decode them, so it cannot tell what is called
          return new Result(out, "Unicode-escaped identifiers (U&\"...\") are not accepted");
        }
        i = skipString(sql, i + 2, false);
        if (i < 0) {
          return new Result(out, "a string literal is not closed");
        }
      } else if ((c == 'e' || c == 'E') && i + 1 < n && sql.charAt(i + 1) == '\'' && !identifierBefore(sql, i)) {
        i = skipString(sql, i + 1, true);
        if (i < 0) {
          return new Result(out, "a string literal is not closed");
        }
      } else if ((c == 'b' || c == 'B' || c == 'x' || c == 'X' || c == 'n' || c == 'N') && i + 1 < n
          && sql.charAt(i + 1) == '\'' && !identifierBefore(sql, i)) {
        i = skipString(sql, i + 1, !standardConformingStrings);
        if (i < 0) {
          return new Result(out, "a string literal is not closed");
        }
      } else if (identifierStart(c)) {
        int j = i + 1;
        while (j < n && (identifierStart(sql.charAt(j)) || Character.isDigit(sql.charAt(j)) || sql.charAt(j) == '$')) {
          j++;
        }
        out.add(new Token(Kind.IDENTIFIER, lowerAscii(sql.substring(i, j)), i, j));
        i = j;
      } else if (c == '$') {
        int j = i + 1;
        while (j < n && Character.isDigit(sql.charAt(j))) {
          j++;
        }
        if (j > i + 1) {
          out.add(new Token(Kind.PARAMETER, sql.substring(i, j), i, j));
          i = j;
          continue;
        }
        int close = dollarTagEnd(sql, i);
        if (close < 0) {
          return new Result(out, "a '$' that starts neither a parameter nor a dollar quote");
        }
        String tag = sql.substring(i, close + 1);
        int end = sql.indexOf(tag, close + 1);
        if (end < 0) {
          return new Result(out, "a dollar quote " + tag + " is not closed");
        }
        i = end + tag.length();
      } else if (c == ';') {
        out.add(new Token(Kind.SEMICOLON, ";", i, i + 1));
        i++;
      } else if (OPERATOR_CHARS.indexOf(c) >= 0) {
        int j = i;
        while (j < n && OPERATOR_CHARS.indexOf(sql.charAt(j)) >= 0 && !sql.startsWith("--", j) && !sql.startsWith("/*", j)) {
          j++;
        }
        out.add(new Token(Kind.OPERATOR, sql.substring(i, j), i, j));
        i = j;
      } else if (Character.isDigit(c) || c == '.' && i + 1 < n && Character.isDigit(sql.charAt(i + 1))) {
        i = numberEnd(sql, i);
      } else {
        i++;
      }
    }
    return new Result(out, null);
  }

  /**
   * Past a number: digits, one decimal point, an exponent. Letters glued to it are left for the next token, so they are
   * read as the identifier older servers see there ({@code 1e5x} is 1e5 AS x before PostgreSQL 15); a {@code .} that
   * does not start a number separates a qualified name ({@code public.f}), and the name after it is a token of its own.
   */
  private static int numberEnd(String sql, int i) {
    int n = sql.length();
    int j = i;
    while (j < n && (Character.isDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
      j++;
    }
    if (j < n && sql.charAt(j) == '.' && !sql.startsWith("..", j)) {
      j++;
      while (j < n && (Character.isDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
        j++;
      }
    }
    if (j + 1 < n && (sql.charAt(j) == 'e' || sql.charAt(j) == 'E')) {
      int k = j + 1;
      if (sql.charAt(k) == '+' || sql.charAt(k) == '-') {
        k++;
      }
      if (k < n && Character.isDigit(sql.charAt(k))) {
        j = k;
        while (j < n && Character.isDigit(sql.charAt(j))) {
          j++;
        }
      }
    }
    return j;
  }

  private static boolean identifierStart(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= '\u0080';
  }

  /** Whether {@code i} continues an identifier (so E' is not an escape-string prefix there). */
  private static boolean identifierBefore(String sql, int i) {
    if (i == 0) {
      return false;
    }
    char p = sql.charAt(i - 1);
    return identifierStart(p) || Character.isDigit(p) || p == '$';
  }

  private static String lowerAscii(String s) {
    StringBuilder sb = null;
    for (int k = 0; k < s.length(); k++) {
      char ch = s.charAt(k);
      if (ch >= 'A' && ch <= 'Z') {
        if (sb == null) {
          sb = new StringBuilder(s);
        }
        sb.setCharAt(k, (char) (ch + 32));
      }
    }
    return sb == null ? s : sb.toString();
  }

  /** The index after the literal that opens at {@code start} (a single quote), or -1 when it is not closed. */
  private static int skipString(String sql, int start, boolean backslashEscapes) {
    return skipQuoted(sql, start, '\'', backslashEscapes);
  }

  private static int skipQuotedIdentifier(String sql, int start) {
    return skipQuoted(sql, start, '"', false);
  }

  /** Past the closing {@code quote} (doubled quotes inside are escapes), or -1 when it is not closed. */
  private static int skipQuoted(String sql, int start, char quote, boolean backslashEscapes) {
    int i = start + 1;
    int n = sql.length();
    while (i < n) {
      char c = sql.charAt(i);
      if (backslashEscapes && c == '\\') {
        i += 2;
      } else if (c == quote) {
        if (i + 1 < n && sql.charAt(i + 1) == quote) {
          i += 2;
        } else {
          return i + 1;
        }
      } else {
        i++;
      }
    }
    return -1;
  }

  /** The index of the closing '$' of a dollar-quote tag starting at {@code start}, or -1. */
  private static int dollarTagEnd(String sql, int start) {
    int i = start + 1;
    if (i < sql.length() && Character.isDigit(sql.charAt(i))) {
      return -1;
    }
    while (i < sql.length()) {
      char c = sql.charAt(i);
      if (c == '$') {
        return i;
      }
      if (!identifierStart(c) && !Character.isDigit(c)) {
        return -1;
      }
      i++;
    }
    return -1;
  }
}
