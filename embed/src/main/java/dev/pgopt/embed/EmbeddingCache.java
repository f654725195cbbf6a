package dev.pgopt.embed;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * Embeddings computed on this machine, keyed by the SHA-256 of model and text, so each text is embedded once per
 * machine. An append-only file of (32-byte key, 384 floats) records; a torn last record (interrupted run) is ignored.
 */
public final class EmbeddingCache {
  private static final int KEY = 32;
  private final Path file;
  private final Map<String, float[]> entries = new HashMap<>();

  private EmbeddingCache(Path file) {
    this.file = file;
  }

  public static EmbeddingCache open(Path dir) throws IOException {
    Files.createDirectories(dir);
    EmbeddingCache c = new EmbeddingCache(dir.resolve(SentenceEmbedder.MODEL + ".bin"));
    if (Files.exists(c.file)) {
      try (InputStream in = Files.newInputStream(c.file); DataInputStream data = new DataInputStream(new BufferedInputStream(in, 1 << 20))) {
        byte[] key = new byte[KEY];
        while (true) {
          try {
            data.readFully(key);
            float[] v = new float[SentenceEmbedder.DIMENSIONS];
            for (int i = 0; i < v.length; i++) {
              v[i] = data.readFloat();
            }
            c.entries.put(HexFormat.of().formatHex(key), v);
          } catch (EOFException torn) {
            break;
          }
        }
      }
    }
    return c;
  }

  public static String key(String text) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update((SentenceEmbedder.MODEL + "\n").getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public float[] get(String key) {
    return entries.get(key);
  }

  public int size() {
    return entries.size();
  }

  public void putAll(Map<String, float[]> computed) throws IOException {
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        DataOutputStream data = new DataOutputStream(new BufferedOutputStream(out, 1 << 20))) {
      for (Map.Entry<String, float[]> e : computed.entrySet()) {
        data.write(HexFormat.of().parseHex(e.getKey()));
        for (float f : e.getValue()) {
          data.writeFloat(f);
        }
      }
    }
    entries.putAll(computed);
  }
}
