package dev.pgopt.sample.internal;

import dev.pgopt.connect.CopyTextFormat;
import java.util.List;

/** Builds rows in PostgreSQL's COPY text format. */
public final class CopyText {
  private final StringBuilder sb = new StringBuilder(1 << 20);
  private boolean firstInRow = true;

  public CopyText add(Object value) {
    if (!firstInRow) {
      sb.append('\t');
    }
    firstInRow = false;
    CopyTextFormat.append(sb, value);
    return this;
  }

  /** A text[] value. */
  public CopyText addArray(List<String> values) {
    StringBuilder a = new StringBuilder("{");
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        a.append(',');
      }
      a.append('"').append(values.get(i).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
    return add(a.append('}').toString());
  }

  public void endRow() {
    sb.append('\n');
    firstInRow = true;
  }

  public int length() {
    return sb.length();
  }

  /** Takes the buffered rows and clears the buffer. */
  public String drain() {
    String s = sb.toString();
    sb.setLength(0);
    return s;
  }
}
