package dev.pgopt.client.bulk;

import dev.pgopt.connect.CopyTextFormat;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Bulk loading with {@code COPY ... FROM STDIN}: rows are streamed in 64 KiB chunks, never built up in memory. Several
 * times faster than batched INSERT (docs/benchmarks/client.md).
 */
public final class CopyIn {
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}(\\.[A-Za-z_][A-Za-z0-9_$]{0,62})?");
  private static final int CHUNK = 64 * 1024;

  /** Fills one row's values, in column order. */
  @FunctionalInterface
  public interface RowWriter<T> {
    void write(T item, Row row);
  }

  /** The values of one row; {@code null} is SQL NULL, everything else is sent as its {@code toString()}. */
  public static final class Row {
    private final StringBuilder line = new StringBuilder(256);
    private int count;

    public Row add(Object value) {
      if (count++ > 0) {
        line.append('\t');
      }
      CopyTextFormat.append(line, value);
      return this;
    }
  }

  private CopyIn() {}

  /** Copies {@code items} into {@code table (columns)}; returns the number of rows the server stored. */
  public static <T> long rows(Connection connection, String table, List<String> columns, Iterable<T> items,
      RowWriter<T> writer) throws SQLException {
    check(table);
    columns.forEach(CopyIn::check);
    CopyManager copy = connection.unwrap(PGConnection.class).getCopyAPI();
    org.postgresql.copy.CopyIn in = copy.copyIn("COPY " + table + " (" + String.join(", ", columns) + ") FROM STDIN");
    try {
      StringBuilder chunk = new StringBuilder(CHUNK + 1024);
      Row row = new Row();
      for (T item : items) {
        row.line.setLength(0);
        row.count = 0;
        writer.write(item, row);
        if (row.count != columns.size()) {
          throw new IllegalArgumentException("row has " + row.count + " values for " + columns.size() + " columns");
        }
        chunk.append(row.line).append('\n');
        if (chunk.length() >= CHUNK) {
          flush(in, chunk);
        }
      }
      flush(in, chunk);
      return in.endCopy();
    } finally {
      if (in.isActive()) {
        in.cancelCopy();
      }
    }
  }

  private static void flush(org.postgresql.copy.CopyIn in, StringBuilder chunk) throws SQLException {
    if (chunk.length() > 0) {
      byte[] bytes = chunk.toString().getBytes(StandardCharsets.UTF_8);
      in.writeToCopy(bytes, 0, bytes.length);
      chunk.setLength(0);
    }
  }

  private static void check(String name) {
    if (!IDENTIFIER.matcher(name).matches()) {
      throw new IllegalArgumentException("not a plain identifier: '" + name + "' (quote-free names only)");
    }
  }
}
