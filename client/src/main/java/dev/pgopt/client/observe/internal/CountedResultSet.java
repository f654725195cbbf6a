package dev.pgopt.client.observe.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.ResultSet;
import java.util.function.LongConsumer;

/** Counts the rows a slow query's caller reads, and reports the count once, when the result set is closed. */
final class CountedResultSet implements InvocationHandler {
  private final ResultSet target;
  private final LongConsumer onClose;
  private long rows;
  private boolean reported;

  CountedResultSet(ResultSet target, LongConsumer onClose) {
    this.target = target;
    this.onClose = onClose;
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    Object result;
    try {
      result = method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
    String name = method.getName();
    if (name.equals("next") && Boolean.TRUE.equals(result)) {
      rows++;
    } else if (name.equals("close") && !reported) {
      reported = true;
      onClose.accept(rows);
    }
    return result;
  }
}
