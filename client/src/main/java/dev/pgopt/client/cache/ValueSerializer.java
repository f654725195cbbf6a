package dev.pgopt.client.cache;

import java.io.IOException;

/** How values become bytes in Redis and back. */
public interface ValueSerializer {
  byte[] serialize(Object value) throws IOException;

  <T> T deserialize(byte[] bytes, ValueType<T> type) throws IOException;
}
