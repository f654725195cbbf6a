package dev.pgopt.client.observe.internal;

import dev.pgopt.client.route.internal.Node;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Times the execute* calls of one statement; everything else passes straight through. */
final class ObservedStatement implements InvocationHandler {
  private final Statement target;
  private final String sql;
  private final Node node;
  private final boolean read;
  private final StatementObserver observer;
  private final List<Object[]> parameters;

  ObservedStatement(Statement target, String sql, Node node, boolean read, StatementObserver observer, boolean keepParameters) {
    this.target = target;
    this.sql = sql;
    this.node = node;
    this.read = read;
    this.observer = observer;
    this.parameters = keepParameters && sql != null ? new ArrayList<>() : null;
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    String name = method.getName();
    if (name.startsWith("execute")) {
      return execute(method, args);
    }
    if (parameters != null) {
      if (name.startsWith("set") && args != null && args.length >= 2 && args[0] instanceof Integer) {
        parameters.add(new Object[] {method, args.clone()});
      } else if (name.equals("clearParameters")) {
        parameters.clear();
      }
    }
    if (name.equals("unwrap") && ((Class<?>) args[0]).isInstance(proxy)) {
      return proxy;
    }
    return call(method, args);
  }

  private Object call(Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private Object execute(Method method, Object[] args) throws Throwable {
    String text = args != null && args.length > 0 && args[0] instanceof String s ? s : sql;
    long start = System.nanoTime();
    Object result;
    try {
      result = call(method, args);
    } catch (SQLException e) {
      long nanos = System.nanoTime() - start;
      observer.record(read, node, nanos, false);
      if (observer.isSlow(nanos)) {
        observer.slow(read, node, text, nanos, -1, e.getSQLState(), null);
      }
      throw e;
    }
    long nanos = System.nanoTime() - start;
    observer.record(read, node, nanos, true);
    if (!observer.isSlow(nanos)) {
      return result;
    }
    List<Object[]> params = parameters == null ? null : List.copyOf(parameters);
    if (result instanceof ResultSet rs) {
      return Proxy.newProxyInstance(ObservedStatement.class.getClassLoader(), new Class<?>[] {ResultSet.class},
          new CountedResultSet(rs, rows -> observer.slow(read, node, text, nanos, rows, null, params)));
    }
    observer.slow(read, node, text, nanos, rowsOf(result), null, params);
    return result;
  }

  private static long rowsOf(Object result) {
    if (result instanceof Integer i) {
      return i;
    }
    if (result instanceof Long l) {
      return l;
    }
    if (result instanceof int[] counts) {
      long sum = 0;
      for (int c : counts) {
        sum += Math.max(c, 0);
      }
      return sum;
    }
    if (result instanceof long[] counts) {
      long sum = 0;
      for (long c : counts) {
        sum += Math.max(c, 0);
      }
      return sum;
    }
    return -1;
  }
}
