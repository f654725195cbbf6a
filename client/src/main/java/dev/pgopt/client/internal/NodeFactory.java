package dev.pgopt.client.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import dev.pgopt.client.ClientConfigurationException;
import dev.pgopt.client.resilience.internal.TransientErrors;
import dev.pgopt.client.route.Role;
import dev.pgopt.client.route.internal.Node;
import dev.pgopt.client.route.internal.PoolConnector;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.SessionOptions;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.function.LongSupplier;
import org.postgresql.Driver;

/** Turns node specs into checked, pooled nodes: pgjdbc properties, HikariCP pool, circuit breaker, probe connections. */
public final class NodeFactory {
  private static final Driver DRIVER = new Driver();

  private final ClientSettings settings;

  public NodeFactory(ClientSettings settings) {
    this.settings = settings;
  }

  /**
   * Connects once to check that the node is up and has the role it was given; throws a one-line explanation. Returns
   * false for an unreachable replica when the settings allow starting without it.
   */
  public boolean verify(NodeSpec spec) {
    try (Connection c = openDirect(spec, "pgopt-client-start", settings.connectTimeout());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
      rs.next();
      boolean standby = rs.getBoolean(1);
      if (spec.role() == Role.PRIMARY && standby) {
        throw new ClientConfigurationException("the primary URL " + spec.target().display() + " points at a standby"
            + " (pg_is_in_recovery() is true): give the primary's address, or list this server as a replica");
      }
      if (spec.role() == Role.REPLICA && !standby) {
        throw new ClientConfigurationException("replica '" + spec.name() + "' (" + spec.address() + ") is not a standby"
            + " (pg_is_in_recovery() is false): it points at a primary; give a streaming replica's address");
      }
      return true;
    } catch (SQLException e) {
      String what = spec.role() == Role.PRIMARY ? "the primary" : "replica '" + spec.name() + "'";
      if (spec.role() == Role.REPLICA && settings.startWithoutReplicas() && TransientErrors.isConnectionLoss(e)) {
        return false;
      }
      throw new ClientConfigurationException("cannot connect to " + what + " at " + spec.address() + ": "
          + firstLine(e) + " (check the URL, credentials and that the server is running)", e);
    }
  }

  public Node create(NodeSpec spec, MeterRegistry registry, LongSupplier nanoTime, Instant now) {
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("pgopt-" + spec.name());
    String url = Connections.jdbcUrl(spec.target(), spec.endpoint());
    Properties p = properties(spec, "pgopt-client", settings.statementTimeout(spec.role()));
    PoolConnector connector = new PoolConnector(() -> {
      Connection c = DRIVER.connect(url, p);
      if (c == null) {
        throw new SQLException("pgjdbc did not accept the URL for " + spec.address(), "08001");
      }
      return c;
    });
    hc.setDataSource(connector);
    int size = spec.role() == Role.PRIMARY ? settings.primaryPoolSize() : settings.replicaPoolSize();
    hc.setMaximumPoolSize(size);
    hc.setMinimumIdle(size);
    hc.setConnectionTimeout(settings.connectionTimeout().toMillis());
    // Start even if the node is down now: the health checker and breaker deal with it, not the constructor.
    hc.setInitializationFailTimeout(-1);
    hc.setReadOnly(spec.role() == Role.REPLICA);
    if (registry != null) {
      hc.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(registry));
    }
    HikariDataSource pool = new HikariDataSource(hc);
    CircuitBreaker breaker = CircuitBreaker.of("pgopt-" + spec.name(), breakerConfig());
    return new Node(spec.name(), spec.role(), spec.zone(), spec.weight(), spec.address(), pool, connector, breaker,
        nanoTime, now);
  }

  private CircuitBreakerConfig breakerConfig() {
    return CircuitBreakerConfig.from(settings.circuitBreaker())
        .recordException(TransientErrors::isConnectionLoss)
        .build();
  }

  /** A connection outside the pool, for start-up checks and health probes. */
  public Connection openDirect(NodeSpec spec, String applicationName, Duration timeout) throws SQLException {
    Properties p = properties(spec, applicationName, timeout);
    p.setProperty("connectTimeout", Long.toString(Math.max(1, timeout.toSeconds())));
    p.setProperty("socketTimeout", Long.toString(Math.max(1, timeout.toSeconds())));
    p.remove("options");
    Connection c = DRIVER.connect(Connections.jdbcUrl(spec.target(), spec.endpoint()), p);
    if (c == null) {
      throw new SQLException("pgjdbc did not accept the URL for " + spec.address(), "08001");
    }
    return c;
  }

  private Properties properties(NodeSpec spec, String applicationName, Duration statementTimeout) {
    SessionOptions o = new SessionOptions(settings.connectTimeout(), statementTimeout, SessionOptions.DEFAULT_LOCK_TIMEOUT,
        applicationName);
    Properties p = Connections.jdbcProperties(spec.target(), o);
    p.setProperty("ApplicationName", spec.target().setting("application_name").orElse(applicationName));
    if (settings.pgBouncerTransactionMode()) {
      // PgBouncer 1.18 in transaction mode cannot follow protocol-level prepared statements across server connections.
      p.setProperty("prepareThreshold", "0");
    } else {
      p.remove("prepareThreshold");
      // statement_timeout as a startup option costs no round trip; PgBouncer rejects startup options, so not there.
      String existing = p.getProperty("options");
      String timeout = "-c statement_timeout=" + statementTimeout.toMillis();
      p.setProperty("options", existing == null ? timeout : existing + " " + timeout);
    }
    if (spec.role() == Role.PRIMARY) {
      // Batched INSERTs go as multi-row statements: one round trip per batch instead of per row.
      p.setProperty("reWriteBatchedInserts", "true");
    }
    // The server enforces statement_timeout; the socket timeout only catches a network that went silent.
    p.setProperty("socketTimeout", Long.toString(statementTimeout.toSeconds() + 30));
    return p;
  }

  private static String firstLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.lines().findFirst().orElse(m);
  }
}
