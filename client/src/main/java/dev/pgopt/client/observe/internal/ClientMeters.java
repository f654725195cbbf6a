package dev.pgopt.client.observe.internal;

import dev.pgopt.client.resilience.internal.Retrier;
import dev.pgopt.client.route.NodeListener;
import dev.pgopt.client.route.Role;
import dev.pgopt.client.route.internal.Node;
import dev.pgopt.client.route.internal.Router;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Locale;

/** The data source's own meters (docs/client.md): node state, lag, breakers, retries and transitions. */
public final class ClientMeters {
  private ClientMeters() {}

  public static void register(MeterRegistry registry, List<Node> nodes, Router router, Retrier readRetrier,
      Retrier txRetrier) {
    for (Node n : nodes) {
      String role = n.role().name().toLowerCase(Locale.ROOT);
      Gauge.builder("pgopt.client.node.routable", n, x -> router.routable(x) ? 1 : 0)
          .description("1 when the node may take work").tag("node", n.name()).tag("role", role).register(registry);
      Gauge.builder("pgopt.client.node.borrowed", n, Node::borrowed)
          .description("Connections borrowed through the data source").tag("node", n.name()).tag("role", role)
          .register(registry);
      Gauge.builder("pgopt.client.breaker.open", n, x -> x.breaker().getState() == CircuitBreaker.State.OPEN ? 1 : 0)
          .description("1 while the node's circuit breaker is open").tag("node", n.name()).register(registry);
      if (n.role() == Role.REPLICA) {
        Gauge.builder("pgopt.client.replica.lag", n, x -> Math.max(0, x.health().lagBytes()))
            .description("WAL the replica has yet to replay").baseUnit("bytes").tag("node", n.name()).register(registry);
        Gauge.builder("pgopt.client.replica.lag.time", n, x -> Math.max(0, x.health().lagMillis()) / 1000.0)
            .description("How long ago the primary was where the replica is").baseUnit("seconds")
            .tag("node", n.name()).register(registry);
      }
    }
    Counter readRetries = Counter.builder("pgopt.client.retries").tag("operation", "read").register(registry);
    Counter txRetries = Counter.builder("pgopt.client.retries").tag("operation", "tx").register(registry);
    readRetrier.retry().getEventPublisher().onRetry(e -> readRetries.increment());
    txRetrier.retry().getEventPublisher().onRetry(e -> txRetries.increment());
  }

  /** Counts node transitions as {@code pgopt.client.node.transitions}, by node and the state entered. */
  public static NodeListener transitions(MeterRegistry registry) {
    return t -> Counter.builder("pgopt.client.node.transitions")
        .description("Node state changes, by the state entered").tag("node", t.node()).tag("to", t.to().name())
        .register(registry).increment();
  }
}
