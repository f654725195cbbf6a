package dev.pgopt.connect;

/** One value in PostgreSQL's COPY text format: {@code \N} for NULL, backslash, tab, newline and return escaped. */
public final class CopyTextFormat {
  private CopyTextFormat() {}

  public static void append(StringBuilder out, Object value) {
    if (value == null) {
      out.append("\\N");
      return;
    }
    String s = value.toString();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> out.append(c);
      }
    }
  }
}
