package dev.pgopt.client.bulk;

import com.pgvector.PGvector;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Loads (id, vector) rows with {@code COPY ... (FORMAT BINARY)}: vectors travel as pgvector's binary form (2-byte
 * dimensions, 2 unused bytes, 4-byte floats), with no text formatting or parsing of floats on either side.
 * docs/benchmarks/vector.md compares it with batched INSERT.
 */
public final class VectorCopy {
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}(\\.[A-Za-z_][A-Za-z0-9_$]{0,62})?");
  private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0};
  private static final int CHUNK = 1 << 20;

  /** One row to load. */
  public record Row(long id, float[] vector) {}

  private VectorCopy() {}

  /** Copies {@code rows} into {@code table (idColumn bigint, vectorColumn vector)}; returns the rows stored. */
  public static long rows(Connection connection, String table, String idColumn, String vectorColumn, Iterable<Row> rows)
      throws SQLException {
    for (String name : new String[] {table, idColumn, vectorColumn}) {
      if (!IDENTIFIER.matcher(name).matches()) {
        throw new IllegalArgumentException("not a plain identifier: '" + name + "'");
      }
    }
    CopyIn in = connection.unwrap(PGConnection.class).getCopyAPI()
        .copyIn("COPY " + table + " (" + idColumn + ", " + vectorColumn + ") FROM STDIN (FORMAT BINARY)");
    try {
      ByteArrayOutputStream buffer = new ByteArrayOutputStream(CHUNK + 64 * 1024);
      DataOutputStream out = new DataOutputStream(buffer);
      out.write(SIGNATURE);
      out.writeInt(0); // flags
      out.writeInt(0); // header extension length
      byte[] vectorBytes = new byte[0];
      for (Row r : rows) {
        PGvector v = new PGvector(r.vector());
        int len = v.lengthInBytes();
        if (vectorBytes.length != len) {
          vectorBytes = new byte[len];
        }
        v.toBytes(vectorBytes, 0);
        out.writeShort(2);
        out.writeInt(8);
        out.writeLong(r.id());
        out.writeInt(len);
        out.write(vectorBytes);
        if (buffer.size() >= CHUNK) {
          flush(in, buffer);
        }
      }
      out.writeShort(-1);
      flush(in, buffer);
      return in.endCopy();
    } catch (IOException e) {
      throw new SQLException("cannot encode a row for COPY: " + e.getMessage(), e);
    } finally {
      if (in.isActive()) {
        in.cancelCopy();
      }
    }
  }

  private static void flush(CopyIn in, ByteArrayOutputStream buffer) throws SQLException {
    byte[] bytes = buffer.toByteArray();
    in.writeToCopy(bytes, 0, bytes.length);
    buffer.reset();
  }
}
