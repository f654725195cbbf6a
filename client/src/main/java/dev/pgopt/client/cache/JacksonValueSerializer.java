package dev.pgopt.client.cache;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/** JSON through Jackson: readable in redis-cli, tolerant of added fields. The default serializer. */
public final class JacksonValueSerializer implements ValueSerializer {
  private final ObjectMapper mapper;

  public JacksonValueSerializer() {
    this(new ObjectMapper().findAndRegisterModules().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES));
  }

  public JacksonValueSerializer(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  @Override
  public byte[] serialize(Object value) throws IOException {
    return mapper.writeValueAsBytes(value);
  }

  @Override
  public <T> T deserialize(byte[] bytes, ValueType<T> type) throws IOException {
    return mapper.readValue(bytes, mapper.getTypeFactory().constructType(type.type()));
  }
}
