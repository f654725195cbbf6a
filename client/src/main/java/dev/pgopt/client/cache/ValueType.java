package dev.pgopt.client.cache;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;

/**
 * The type a cached value is read back as, generics included: {@code ValueType.of(User.class)} or {@code new
 * ValueType<List<User>>() {}}.
 */
public abstract class ValueType<T> {
  private final Type type;

  protected ValueType() {
    Type superclass = getClass().getGenericSuperclass();
    if (!(superclass instanceof ParameterizedType p)) {
      throw new IllegalArgumentException("create a ValueType with a type argument: new ValueType<List<User>>() {}");
    }
    this.type = p.getActualTypeArguments()[0];
  }

  private ValueType(Type type) {
    this.type = type;
  }

  public static <T> ValueType<T> of(Class<T> type) {
    return new ValueType<>(type) {};
  }

  public Type type() {
    return type;
  }
}
