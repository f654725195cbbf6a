package dev.pgopt.connect.internal;

import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Endpoint;
import dev.pgopt.connect.SessionOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.postgresql.Driver;

/** Maps a {@link DatabaseTarget} onto pgjdbc's URL and properties, and connects. */
public final class JdbcConnector {
  private static final Driver DRIVER = new Driver();

  private JdbcConnector() {}

  public static Connection connect(DatabaseTarget target, SessionOptions options) throws DatabaseFailure {
    return connect(target, options, java.util.Map.of());
  }

  /** As {@link #connect(DatabaseTarget, SessionOptions)}, with {@code driverProperties} laid over pgopt's. */
  public static Connection connect(DatabaseTarget target, SessionOptions options, java.util.Map<String, String> driverProperties)
      throws DatabaseFailure {
    try {
      Properties p = properties(target, options);
      driverProperties.forEach(p::setProperty);
      Connection c = DRIVER.connect(jdbcUrl(target), p);
      if (c == null) {
        throw new IllegalStateException("pgjdbc did not accept " + target.display());
      }
      return c;
    } catch (SQLException e) {
      throw FailureClassifier.classify(e, target, options);
    }
  }

  static String jdbcUrl(DatabaseTarget t) {
    String hosts = t.endpoints().stream().map(Endpoint::toString).collect(Collectors.joining(","));
    return "jdbc:postgresql://" + hosts + "/" + URLEncoder.encode(t.database(), StandardCharsets.UTF_8);
  }

  public static String jdbcUrl(DatabaseTarget t, Endpoint e) {
    return "jdbc:postgresql://" + e + "/" + URLEncoder.encode(t.database(), StandardCharsets.UTF_8);
  }

  public static Duration connectTimeout(DatabaseTarget t, SessionOptions o) {
    if (o.connectTimeout() != null) {
      return o.connectTimeout();
    }
    return t.setting("connect_timeout")
        .map(s -> Integer.parseInt(s.strip()))
        .filter(s -> s > 0)
        .map(s -> Duration.ofSeconds(Math.max(2, s))) // libpq treats values below 2 as 2
        .orElse(SessionOptions.DEFAULT_CONNECT_TIMEOUT);
  }

  public static Properties properties(DatabaseTarget t, SessionOptions o) {
    Properties p = new Properties();
    t.jdbcProperties().forEach(p::setProperty);
    p.setProperty("user", t.user());
    p.remove("password");
    t.password().ifPresent(pw -> p.setProperty(ResolvedPassword.PROPERTY, pw));
    p.setProperty("authenticationPluginClassName", ResolvedPassword.class.getName());
    long connectSeconds = Math.max(1, connectTimeout(t, o).toSeconds());
    p.setProperty("connectTimeout", Long.toString(connectSeconds));
    p.setProperty("loginTimeout", Long.toString(connectSeconds));
    // The server enforces statement_timeout; the socket timeout only catches a network that went silent.
    p.setProperty("socketTimeout", Long.toString(o.statementTimeout().toSeconds() + connectSeconds + 5));
    p.setProperty("ApplicationName", t.setting("application_name").orElse(o.applicationName()));
    // Server-side prepared statements break behind transaction-pooling proxies and buy nothing for one-off queries.
    p.setProperty("prepareThreshold", "0");
    p.setProperty("tcpKeepAlive", "true");
    // We need 13+ anyway; this puts application_name in the startup packet instead of a SET round trip per connect.
    p.setProperty("assumeMinServerVersion", "9.0");
    for (Map.Entry<String, String> e : t.settings().entrySet()) {
      String v = e.getValue();
      switch (e.getKey()) {
        case "sslmode" -> p.setProperty("sslmode", v);
        case "sslrootcert" -> {
          if (v.equals("system")) {
            // libpq 16: trust the system CA store and verify the host name
            p.setProperty("sslfactory", "org.postgresql.ssl.DefaultJavaSSLFactory");
          } else {
            p.setProperty("sslrootcert", v);
          }
        }
        case "sslcert" -> p.setProperty("sslcert", v);
        case "sslkey" -> p.setProperty("sslkey", v);
        case "channel_binding" -> p.setProperty("channelBinding", v);
        case "options" -> p.setProperty("options", v);
        case "target_session_attrs" -> p.setProperty("targetServerType", switch (v) {
          case "read-write", "primary" -> "primary";
          case "read-only", "standby" -> "secondary";
          case "prefer-standby" -> "preferSecondary";
          default -> "any";
        });
        case "load_balance_hosts" -> p.setProperty("loadBalanceHosts", Boolean.toString(v.equals("random")));
        default -> {
          // connect_timeout and application_name are handled above
        }
      }
    }
    if ("system".equals(t.settings().get("sslrootcert"))) {
      p.setProperty("sslmode", "verify-full");
    }
    return p;
  }
}
