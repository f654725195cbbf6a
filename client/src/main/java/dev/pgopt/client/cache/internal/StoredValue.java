package dev.pgopt.client.cache.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A value as stored in Redis: a format byte (0 plain, 1 deflated), its absolute expiry in epoch milliseconds (so a
 * copy promoted to L1 does not outlive it), then the serialized bytes.
 */
public final class StoredValue {
  private static final int HEADER = 9;

  private StoredValue() {}

  public static byte[] encode(byte[] serialized, long expiresAtMillis, int compressAboveBytes) {
    boolean deflate = compressAboveBytes >= 0 && serialized.length > compressAboveBytes;
    byte[] body = deflate ? deflate(serialized) : serialized;
    if (deflate && body.length >= serialized.length) {
      deflate = false;
      body = serialized;
    }
    ByteBuffer b = ByteBuffer.allocate(HEADER + body.length);
    b.put((byte) (deflate ? 1 : 0)).putLong(expiresAtMillis).put(body);
    return b.array();
  }

  public static long expiresAtMillis(byte[] stored) {
    return ByteBuffer.wrap(stored, 1, 8).getLong();
  }

  public static byte[] payload(byte[] stored) throws DataFormatException {
    byte[] body = new byte[stored.length - HEADER];
    System.arraycopy(stored, HEADER, body, 0, body.length);
    return stored[0] == 1 ? inflate(body) : body;
  }

  static boolean isCompressed(byte[] stored) {
    return stored[0] == 1;
  }

  private static byte[] deflate(byte[] in) {
    Deflater d = new Deflater(Deflater.BEST_SPEED);
    try {
      d.setInput(in);
      d.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(in.length / 2 + 16);
      byte[] buf = new byte[8192];
      while (!d.finished()) {
        out.write(buf, 0, d.deflate(buf));
      }
      return out.toByteArray();
    } finally {
      d.end();
    }
  }

  private static byte[] inflate(byte[] in) throws DataFormatException {
    Inflater i = new Inflater();
    try {
      i.setInput(in);
      ByteArrayOutputStream out = new ByteArrayOutputStream(in.length * 3);
      byte[] buf = new byte[8192];
      while (!i.finished()) {
        int n = i.inflate(buf);
        if (n == 0 && (i.needsInput() || i.needsDictionary())) {
          throw new DataFormatException("truncated compressed cache value");
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } finally {
      i.end();
    }
  }
}
