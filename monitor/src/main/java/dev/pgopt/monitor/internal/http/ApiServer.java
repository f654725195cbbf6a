package dev.pgopt.monitor.internal.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.pgopt.monitor.ConfigException;
import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.internal.MonitorCore;
import dev.pgopt.monitor.internal.store.HistoryWrites;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import java.security.KeyStore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side: JSON API (docs/monitor-openapi.yaml), {@code /metrics}, and the dashboard's static files. Reading
 * needs the read or admin token (open on loopback when no token is configured); every POST needs the admin token, is
 * rate limited per caller, and is written to the audit log with its outcome.
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
  static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  private static final String ACCESS = "pgopt.access";

  private final MonitorCore core;
  private final MonitorConfig.Server settings;
  private final TokenCheck tokens;
  private final Map<String, RateLimiter> limiters = new ConcurrentHashMap<>();
  private final RateLimiterConfig limiterConfig;
  private final Javalin app;
  private final TargetEndpoints targets;
  private final BackupEndpoints backups;
  private final PoolerEndpoints pooler;
  private final QueryEndpoints queries;
  private final FindingEndpoints findings;
  private final OperationsEndpoints operations;

  public ApiServer(MonitorCore core, MonitorConfig.Server settings) throws ConfigException {
    this.core = core;
    this.settings = settings;
    this.tokens = new TokenCheck(settings.readToken(), settings.adminToken());
    this.limiterConfig = RateLimiterConfig.custom().limitForPeriod(settings.mutationsPerMinute())
        .limitRefreshPeriod(Duration.ofMinutes(1)).timeoutDuration(Duration.ZERO).build();
    this.targets = new TargetEndpoints(core);
    this.backups = new BackupEndpoints(core);
    this.pooler = new PoolerEndpoints(core);
    this.queries = new QueryEndpoints(core);
    this.findings = new FindingEndpoints(core);
    this.operations = new OperationsEndpoints(core);
    KeyStore keyStore = settings.tlsCertificate().isPresent()
        ? PemTls.keyStore(settings.tlsCertificate().get(), settings.tlsPrivateKey().get()) : null;
    this.app = Javalin.create(config -> configure(config, keyStore));
  }

  private void configure(JavalinConfig config, KeyStore keyStore) {
    config.startup.showJavalinBanner = false;
    config.startup.showOldJavalinVersionWarning = false;
    config.http.maxRequestSize = settings.maxRequestBytes();
    config.staticFiles.add(s -> {
      s.hostedPath = "/";
      s.directory = "/web";
      s.location = Location.CLASSPATH;
    });
    config.staticFiles.enableWebjars();
    if (keyStore != null) {
      config.jetty.addConnector((server, httpConfig) -> {
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(keyStore);
        ssl.setKeyStorePassword(new String(PemTls.PASSWORD));
        ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        httpConfig.addCustomizer(new SecureRequestCustomizer(false));
        ServerConnector c = new ServerConnector(server, ssl, new HttpConnectionFactory(httpConfig));
        c.setHost(settings.host());
        c.setPort(settings.port());
        return c;
      });
    }
    var r = config.routes;
    r.before(this::protect);
    r.before("/api/*", this::authorize);
    r.before("/metrics", this::authorize);
    r.after("/api/*", this::audit);
    r.get("/api/live", ctx -> json(ctx, Map.of("status", "ok")));
    r.get("/api/openapi.yaml", ctx -> ctx.contentType("application/yaml").result(
        getClass().getResourceAsStream("/openapi/monitor-openapi.yaml")));
    r.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(core.registry().scrape()));
    r.get("/api/targets", ctx -> json(ctx, targets.targets()));
    r.get("/api/targets/{target}/health", ctx -> json(ctx, targets.health(ctx)));
    r.get("/api/targets/{target}/queries", ctx -> json(ctx, queries.queries(ctx)));
    r.get("/api/targets/{target}/queries/history", ctx -> json(ctx, queries.queryHistory(ctx)));
    r.get("/api/targets/{target}/findings", ctx -> json(ctx, findings.findings(ctx)));
    r.get("/api/targets/{target}/history", ctx -> json(ctx, targets.history(ctx)));
    r.get("/api/targets/{target}/tables", ctx -> json(ctx, targets.tables(ctx)));
    r.get("/api/targets/{target}/vector", ctx -> json(ctx, targets.vector(ctx)));
    r.get("/api/targets/{target}/backups", ctx -> json(ctx, backups.backups(ctx)));
    r.get("/api/targets/{target}/pooler", ctx -> json(ctx, pooler.pooler(ctx)));
    r.get("/api/alerts", ctx -> json(ctx, operations.alerts(ctx)));
    r.get("/api/incidents", ctx -> json(ctx, operations.incidents()));
    r.get("/api/maintenance", ctx -> json(ctx, operations.maintenanceRuns()));
    r.get("/api/clients", ctx -> json(ctx, core.clients().view()));
    r.post("/api/clients/{name}", ctx -> json(ctx, operations.clientReport(ctx, body(ctx))));
    r.post("/api/targets/{target}/explain", ctx -> json(ctx, queries.explain(ctx, body(ctx))));
    r.post("/api/targets/{target}/actions", ctx -> json(ctx, findings.action(ctx, body(ctx))));
    r.post("/api/targets/{target}/maintenance/{task}", ctx -> json(ctx, operations.maintenance(ctx, body(ctx))));
    r.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage()));
    r.exception(ApiError.class, (e, ctx) -> error(ctx, e.status, e.getMessage()));
    r.exception(dev.pgopt.connect.DatabaseFailure.class, (e, ctx) -> error(ctx, 503, "the target did not answer: " + e.getMessage()));
    r.exception(dev.pgopt.monitor.internal.store.StoreUnavailableException.class, (e, ctx) -> error(ctx, 503, e.getMessage()));
    r.exception(Exception.class, (e, ctx) -> {
      LOG.error("request {} {} failed", ctx.method(), ctx.path(), e);
      error(ctx, 500, "internal error; the server log has the details");
    });
    r.error(404, "*", ctx -> {
      if (ctx.path().startsWith("/api/") && ctx.result() == null) {
        error(ctx, 404, "no such endpoint: " + ctx.method() + " " + ctx.path() + " (see /api/openapi.yaml)");
      }
    });
    r.error(413, "*", ctx -> error(ctx, 413, "request body larger than " + settings.maxRequestBytes() + " bytes"));
  }

  public ApiServer start() {
    if (settings.tlsCertificate().isPresent()) {
      app.start();
    } else {
      app.start(settings.host(), settings.port());
    }
    return this;
  }

  public int port() {
    for (Connector c : app.jettyServer().server().getConnectors()) {
      if (c instanceof ServerConnector sc) {
        return sc.getLocalPort();
      }
    }
    return app.port();
  }

  private static final java.util.regex.Pattern LOOPBACK_HOST =
      java.util.regex.Pattern.compile("(?i)(localhost|127\\.0\\.0\\.1|\\[::1\\])(:\\d{1,5})?");
  static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
      + "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  /**
   * Browser-facing protection for every response. Without tokens the server trusts loopback, and a web page the user
   * visits could reach it through a DNS name rebound to 127.0.0.1: such requests carry that name in Host, so only
   * loopback names are answered then.
   */
  private void protect(Context ctx) {
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    ctx.header("Referrer-Policy", "no-referrer");
    if (tokens.open()) {
      String host = ctx.header("Host");
      if (host == null || !LOOPBACK_HOST.matcher(host.strip()).matches()) {
        throw new ApiError(421, "without tokens this server answers only requests addressed to localhost, 127.0.0.1 or "
            + "[::1]; configure server.read_token to serve other names");
      }
    }
  }

  private void authorize(Context ctx) {
    if (ctx.path().equals("/api/live")) {
      return;
    }
    boolean mutating = ctx.method().name().equals("POST");
    TokenCheck.Access access = tokens.access(ctx.header("Authorization"));
    ctx.attribute(ACCESS, access);
    if (access == TokenCheck.Access.NONE) {
      ctx.header("WWW-Authenticate", "Bearer");
      throw new ApiError(401, ctx.header("Authorization") == null
          ? "this endpoint needs a token: send 'Authorization: Bearer <token>'" : "the token is not valid");
    }
    if (mutating) {
      if (!tokens.adminConfigured()) {
        throw new ApiError(403, "changes are disabled: set server.admin_token in the configuration to allow them");
      }
      if (access != TokenCheck.Access.ADMIN) {
        throw new ApiError(403, "this endpoint changes things and needs the admin token");
      }
      String caller = access + "@" + ctx.ip();
      RateLimiter limiter = limiters.computeIfAbsent(caller, k -> RateLimiter.of(k, limiterConfig));
      if (!limiter.acquirePermission()) {
        ctx.header("Retry-After", "60");
        throw new ApiError(429, "at most " + settings.mutationsPerMinute() + " changes per minute; retry later");
      }
    }
  }

  private void audit(Context ctx) {
    if (!ctx.method().name().equals("POST")) {
      return;
    }
    Object access = ctx.attribute(ACCESS);
    String detail = ctx.attribute("pgopt.audit") == null ? "" : String.valueOf(ctx.<Object>attribute("pgopt.audit"));
    core.store().write(HistoryWrites.audit(core.clock().instant(), access == null ? "none" : access.toString().toLowerCase(),
        ctx.ip(), ctx.method().name(), ctx.path(), ctx.statusCode(), detail));
  }

  private static JsonNode body(Context ctx) {
    String text = ctx.body();
    if (text.isBlank()) {
      return JSON.createObjectNode();
    }
    try {
      JsonNode n = JSON.readTree(text);
      if (n == null || !n.isObject()) {
        throw new ApiError(400, "the body must be a JSON object");
      }
      return n;
    } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
      throw new ApiError(400, "the body is nested or sized beyond what this server reads (" + e.getOriginalMessage() + ")");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new ApiError(400, "the body is not valid JSON" + (e.getLocation() == null ? ""
          : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")"));
    }
  }

  static void json(Context ctx, Object value) throws Exception {
    ctx.contentType("application/json");
    ctx.result(value instanceof String s ? s : JSON.writeValueAsString(value));
  }

  private static void error(Context ctx, int status, String message) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", message);
    m.put("status", status);
    ctx.status(status).contentType("application/json");
    try {
      ctx.result(JSON.writeValueAsString(m));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      ctx.result("{\"error\":\"unrepresentable error\"}");
    }
  }

  @Override
  public void close() {
    app.stop();
  }

}
