package dev.pgopt.monitor;

import dev.pgopt.connect.Environment;
import dev.pgopt.monitor.internal.MonitorCore;
import dev.pgopt.monitor.internal.http.ApiServer;
import java.time.Clock;

/**
 * {@code pgopt serve}: collects from the configured targets on schedules, keeps history in PostgreSQL, evaluates
 * alerts, detects incidents, runs maintenance, and serves the API, {@code /metrics} and the dashboard.
 */
public final class Monitor implements AutoCloseable {
  private final MonitorCore core;
  private final ApiServer server;

  private Monitor(MonitorCore core, ApiServer server) {
    this.core = core;
    this.server = server;
  }

  /**
   * Starts everything. A target or store that is down does not stop the start (it is reported as down); a
   * configuration that cannot work, or a port that cannot be bound, does.
   */
  public static Monitor start(MonitorConfig config, Environment env, Clock clock, String source) throws ConfigException {
    MonitorCore core = new MonitorCore(config, env, clock, source);
    ApiServer server;
    try {
      server = new ApiServer(core, config.server());
      server.start();
    } catch (ConfigException e) {
      core.close();
      throw e;
    } catch (RuntimeException e) {
      core.close();
      throw new ConfigException(source + ": server: cannot listen on " + config.server().host() + ":" + config.server().port()
          + " (" + rootMessage(e) + "); choose another server.port");
    }
    core.start();
    return new Monitor(core, server);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  public int port() {
    return server.port();
  }

  /** Where the server listens, e.g. {@code http://127.0.0.1:8432}. */
  public String baseUrl() {
    String host = core.config().server().host();
    String h = host.contains(":") ? "[" + host + "]" : host;
    return (core.config().server().tlsCertificate().isPresent() ? "https://" : "http://") + h + ":" + port();
  }

  /** Whether the history store has accepted the schema and is writable now. */
  public boolean storeUp() {
    return core.store().up();
  }

  @Override
  public void close() {
    server.close();
    core.close();
  }
}
