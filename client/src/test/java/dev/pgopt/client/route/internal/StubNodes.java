package dev.pgopt.client.route.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.pgopt.client.route.NodeTransition;
import dev.pgopt.client.route.ReadFallback;
import dev.pgopt.client.route.Role;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Nodes over stub connections (as HikariCP's own tests use a stub driver): real pools, breakers and routing, no
 * server. Each stub answers what HikariCP asks, the replay-position query with {@code replayLsn}, and logs the calls
 * the routing layer makes on it ({@code node.method(args)}).
 */
final class StubNodes implements AutoCloseable {
  static final long MAX_LAG_BYTES = 1_000_000;

  final List<NodeTransition> transitions = new CopyOnWriteArrayList<>();
  final List<String> calls = new CopyOnWriteArrayList<>();
  private final List<HikariDataSource> pools = new ArrayList<>();

  private Connection stub(String node, AtomicLong replayLsn) {
    ResultSet rs = (ResultSet) Proxy.newProxyInstance(StubNodes.class.getClassLoader(), new Class<?>[] {ResultSet.class},
        (p, m, a) -> switch (m.getName()) {
          case "next" -> true;
          case "getLong" -> replayLsn.get();
          default -> defaultFor(m.getReturnType());
        });
    PreparedStatement ps = (PreparedStatement) Proxy.newProxyInstance(StubNodes.class.getClassLoader(),
        new Class<?>[] {PreparedStatement.class}, (p, m, a) -> m.getName().equals("executeQuery") ? rs : defaultFor(m.getReturnType()));
    Statement statement = (Statement) Proxy.newProxyInstance(StubNodes.class.getClassLoader(),
        new Class<?>[] {Statement.class}, (p, m, a) -> defaultFor(m.getReturnType()));
    boolean[] autoCommit = {true};
    return (Connection) Proxy.newProxyInstance(StubNodes.class.getClassLoader(), new Class<?>[] {Connection.class},
        (p, m, a) -> {
          switch (m.getName()) {
            case "setAutoCommit", "setReadOnly", "setTransactionIsolation", "commit", "rollback", "close", "createStatement" ->
                calls.add(node + "." + m.getName() + "(" + (a == null ? "" : Arrays.toString(a).replaceAll("[\\[\\]]", "")) + ")");
            default -> { }
          }
          if (m.getName().equals("setAutoCommit")) {
            autoCommit[0] = (Boolean) a[0];
          }
          return switch (m.getName()) {
            case "isValid" -> true;
            case "getAutoCommit" -> autoCommit[0];
            case "getTransactionIsolation" -> Connection.TRANSACTION_READ_COMMITTED;
            case "prepareStatement" -> ps;
            case "createStatement" -> statement;
            case "toString" -> "stub " + node;
            case "hashCode" -> System.identityHashCode(p);
            case "equals" -> p == a[0];
            default -> defaultFor(m.getReturnType());
          };
        });
  }

  private static Object defaultFor(Class<?> type) {
    if (type == boolean.class) {
      return false;
    }
    if (type == int.class || type == long.class) {
      return type == int.class ? (Object) 0 : (Object) 0L;
    }
    return null;
  }

  Node node(String name, Role role, String zone, NodeHealth health, AtomicLong replayLsn) {
    PoolConnector connector = new PoolConnector(() -> stub(name, replayLsn));
    HikariConfig config = new HikariConfig();
    config.setDataSource(connector);
    config.setPoolName(name);
    config.setMaximumPoolSize(2);
    config.setMinimumIdle(0);
    config.setConnectionTimeout(250);
    config.setInitializationFailTimeout(-1);
    HikariDataSource pool = new HikariDataSource(config);
    pools.add(pool);
    Node n = new Node(name, role, zone, 1, name + ":5432", pool, connector, CircuitBreaker.ofDefaults(name), System::nanoTime,
        Instant.EPOCH);
    n.health(health);
    return n;
  }

  static NodeHealth primaryAt(long lsn) {
    return new NodeHealth(true, false, lsn, 0, 0, 1e6, null);
  }

  static NodeHealth replica(long replayLsn, long lagBytes) {
    return new NodeHealth(true, true, replayLsn, lagBytes, 0, 1e6, null);
  }

  Router router(Node primary, List<Node> replicas, String zone, ReadFallback fallback) {
    Router r = new Router(primary, replicas, new RoundRobinSelector(), zone, MAX_LAG_BYTES, Duration.ofSeconds(10), fallback,
        Duration.ZERO, System::nanoTime, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), transitions::add);
    r.refresh();
    return r;
  }

  @Override
  public void close() {
    pools.forEach(HikariDataSource::close);
  }
}
