package dev.pgopt.client.observe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.pgopt.client.PgoptDataSource;
import dev.pgopt.client.cache.CacheStats;
import dev.pgopt.client.cache.QueryCache;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Reports this application's routing (every node's state, lag and breaker) and cache statistics to a {@code pgopt
 * serve} monitor, which shows them at {@code /api/clients}. Runs on its own daemon thread; a monitor that is down or
 * refuses the report never affects the application ({@link #lastError()} says what happened).
 *
 * <pre>{@code
 * MonitorReporter reporter = MonitorReporter.builder("http://monitor:8432", "checkout")
 *     .token(System.getenv("PGOPT_ADMIN_TOKEN")).dataSource(ds).cache(cache).start();
 * }</pre>
 */
public final class MonitorReporter implements AutoCloseable {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  private static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .registerModule(new JavaTimeModule()).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private final URI endpoint;
  private final String token;
  private final PgoptDataSource dataSource;
  private final QueryCache cache;
  private final Clock clock;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  private final ScheduledExecutorService scheduler;
  private volatile String lastError;

  private MonitorReporter(Builder b) {
    this.endpoint = URI.create(b.monitorUrl.replaceAll("/+$", "") + "/api/clients/" + b.name);
    this.token = b.token;
    this.dataSource = b.dataSource;
    this.cache = b.cache;
    this.clock = b.clock;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "pgopt-monitor-reporter");
      t.setDaemon(true);
      return t;
    });
    this.scheduler.scheduleWithFixedDelay(this::reportNow, b.interval.toMillis(), b.interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  public static Builder builder(String monitorUrl, String name) {
    return new Builder(monitorUrl, name);
  }

  /** Sends one report now; true when the monitor accepted it. */
  public boolean reportNow() {
    try {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("reported_at", clock.instant().toString());
      if (dataSource != null) {
        body.put("nodes", dataSource.nodes());
      }
      if (cache != null) {
        CacheStats s = cache.stats();
        Map<String, Object> c = new LinkedHashMap<>(JSON.convertValue(s, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {}));
        c.put("l1_hit_rate", s.l1HitRate());
        c.put("l2_hit_rate", s.l2HitRate());
        body.put("cache", c);
      }
      HttpRequest.Builder req = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(5))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
      if (token != null) {
        req.header("Authorization", "Bearer " + token);
      }
      HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
      lastError = r.statusCode() == 200 ? null : "the monitor answered " + r.statusCode() + ": " + r.body();
      return r.statusCode() == 200;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      lastError = "interrupted";
      return false;
    } catch (Exception e) {
      lastError = "cannot report to " + endpoint.getHost() + ":" + endpoint.getPort() + " (" + e.getClass().getSimpleName() + ")";
      return false;
    }
  }

  /** Why the last report failed, or null after a success. */
  public String lastError() {
    return lastError;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }

  public static final class Builder {
    private final String monitorUrl;
    private final String name;
    private String token;
    private PgoptDataSource dataSource;
    private QueryCache cache;
    private Duration interval = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();

    private Builder(String monitorUrl, String name) {
      Objects.requireNonNull(monitorUrl, "monitorUrl");
      if (!monitorUrl.startsWith("http://") && !monitorUrl.startsWith("https://")) {
        throw new IllegalArgumentException("the monitor URL must start with http:// or https://, not " + monitorUrl);
      }
      if (name == null || !NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("the application name must be 1-64 letters, digits, '.', '_' or '-'");
      }
      this.monitorUrl = monitorUrl;
      this.name = name;
    }

    /** The monitor's admin token (reports change what the monitor shows). */
    public Builder token(String token) {
      this.token = token;
      return this;
    }

    public Builder dataSource(PgoptDataSource dataSource) {
      this.dataSource = dataSource;
      return this;
    }

    public Builder cache(QueryCache cache) {
      this.cache = cache;
      return this;
    }

    /** How often to report (default 30 s; the monitor marks a report stale after 5 minutes). */
    public Builder interval(Duration interval) {
      if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("interval must be at least 1 s");
      }
      this.interval = interval;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public MonitorReporter start() {
      return new MonitorReporter(this);
    }
  }
}
