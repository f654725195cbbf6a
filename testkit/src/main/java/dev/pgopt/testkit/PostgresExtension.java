package dev.pgopt.testkit;

import dev.pgopt.local.LocalRedis;
import dev.pgopt.testkit.internal.SharedServers;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests real servers. Parameters of these types are resolved:
 *
 * <ul>
 *   <li>{@link TestCluster}: the primary shared by the whole test run (started once, stopped at the end);
 *   <li>{@link TestDatabase}: a fresh database in it for the test class, dropped after the class;
 *   <li>{@link LocalRedis}: a Redis server for the test class.
 * </ul>
 *
 * Replicas and PgBouncers are started on demand from {@link TestCluster} and closed by the test.
 *
 * <p>With {@code -Dpgopt.tests=fast} (the fast tier, {@code scripts/test --fast}) every test class that uses it is
 * skipped: the tier runs only the tests that need no server.
 */
public final class PostgresExtension implements ParameterResolver, ExecutionCondition {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(PostgresExtension.class);

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    return "fast".equals(System.getProperty("pgopt.tests"))
        ? ConditionEvaluationResult.disabled("needs real servers: not in the fast tier")
        : ConditionEvaluationResult.enabled("real servers");
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == TestCluster.class || type == TestDatabase.class || type == LocalRedis.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    SharedServers shared = context.getRoot().getStore(NS)
        .getOrComputeIfAbsent(SharedServers.class, k -> SharedServers.start(), SharedServers.class);
    if (type == TestCluster.class) {
      return shared.primary();
    }
    ExtensionContext classContext = classLevel(context);
    // JUnit closes AutoCloseable store values when the class is done: the database is dropped, Redis stopped
    if (type == TestDatabase.class) {
      return classContext.getStore(NS).getOrComputeIfAbsent(TestDatabase.class, k -> shared.primary().createDatabase(), TestDatabase.class);
    }
    return classContext.getStore(NS).getOrComputeIfAbsent(LocalRedis.class, k -> shared.startRedis(), LocalRedis.class);
  }

  private static ExtensionContext classLevel(ExtensionContext context) {
    ExtensionContext c = context;
    while (c.getTestMethod().isPresent() && c.getParent().isPresent()) {
      c = c.getParent().get();
    }
    return c;
  }
}
