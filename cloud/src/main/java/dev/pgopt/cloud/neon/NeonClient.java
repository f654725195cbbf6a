package dev.pgopt.cloud.neon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Neon's HTTP API (v2) as JSON in, JSON out. Busy answers (423 while another operation runs on the project, 429 rate
 * limited, 502/503) are retried with exponential backoff or the server's {@code Retry-After}; the key travels only in
 * the Authorization header and never appears in a message.
 */
public final class NeonClient {
  public static final URI DEFAULT_API = URI.create("https://console.neon.tech/api/v2");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<Integer> BUSY = Set.of(423, 429, 502, 503);
  private static final int ATTEMPTS = 6;
  /** Pages followed at most: a cursor that never ends must not loop forever. */
  private static final int MAX_PAGES = 1000;

  /** How the client waits between attempts; tests pass one that does not sleep. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private final URI api;
  private final String apiKey;
  private final HttpClient http;
  private final Sleeper sleeper;

  public NeonClient(URI api, String apiKey) {
    this(api, apiKey, d -> Thread.sleep(d.toMillis()));
  }

  public NeonClient(URI api, String apiKey, Sleeper sleeper) {
    if (apiKey == null || apiKey.isBlank()) {
      throw new NeonApiException(0, "no Neon API key: set NEON_API_KEY (console: Account settings, API keys)");
    }
    if (!"https".equals(api.getScheme()) && !"http".equals(api.getScheme())) {
      throw new NeonApiException(0, "NEON_API_URL must be an http(s) URL, not " + api);
    }
    this.api = api;
    this.apiKey = apiKey;
    this.sleeper = sleeper;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** The API from {@code NEON_API_URL} (default: Neon's) and the key from {@code NEON_API_KEY}. */
  public static NeonClient fromEnvironment(Function<String, Optional<String>> env) {
    URI api;
    try {
      api = env.apply("NEON_API_URL").map(URI::create).orElse(DEFAULT_API);
    } catch (IllegalArgumentException e) {
      throw new NeonApiException("NEON_API_URL is not a URL: " + e.getMessage(), e);
    }
    return new NeonClient(api, env.apply("NEON_API_KEY").orElse(null));
  }

  public URI api() {
    return api;
  }

  public JsonNode get(String path, Map<String, String> query) {
    return send("GET", path + queryString(query), null, false);
  }

  /**
   * Every item of a list the API pages with a cursor: {@code itemsField} of each answer, following
   * {@code pagination.next} (branches) or {@code pagination.cursor} (consumption) until a page comes back empty or
   * without a new cursor.
   */
  public List<JsonNode> all(String path, Map<String, String> query, String itemsField) {
    List<JsonNode> items = new ArrayList<>();
    Map<String, String> q = new LinkedHashMap<>(query);
    String previous = null;
    for (int page = 0; page < MAX_PAGES; page++) {
      JsonNode answer = get(path, q);
      JsonNode list = answer.path(itemsField);
      list.forEach(items::add);
      JsonNode pagination = answer.path("pagination");
      String cursor = pagination.path("next").asText(pagination.path("cursor").asText(""));
      if (list.isEmpty() || cursor.isEmpty() || cursor.equals(previous)) {
        return items;
      }
      previous = cursor;
      q.put("cursor", cursor);
    }
    throw new NeonApiException(0, "the Neon API kept paging " + path + " past " + MAX_PAGES + " pages; stopped");
  }

  /** @param missingOk a 404 answers null (deleting what is already gone) */
  public JsonNode send(String method, String path, JsonNode body, boolean missingOk) {
    URI uri = URI.create(api.toString().replaceAll("/+$", "") + path);
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + apiKey).header("Accept", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    Duration backoff = Duration.ofSeconds(1);
    for (int attempt = 1; ; attempt++) {
      HttpResponse<String> r;
      try {
        r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new NeonApiException("cannot reach the Neon API at " + api + ": " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new NeonApiException("interrupted while calling the Neon API", e);
      }
      int status = r.statusCode();
      if (status >= 200 && status < 300) {
        try {
          return r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
        } catch (IOException e) {
          throw new NeonApiException("the Neon API answered " + method + " " + path + " with something that is not JSON: "
              + abbreviate(r.body()), e);
        }
      }
      if (status == 404 && missingOk) {
        return null;
      }
      if (BUSY.contains(status) && attempt < ATTEMPTS) {
        wait(retryAfter(r).orElse(backoff));
        backoff = backoff.multipliedBy(2);
        continue;
      }
      String why = message(r.body());
      throw switch (status) {
        case 401, 403 -> new NeonApiException(status, "the Neon API refused the key (HTTP " + status + "): check"
            + " NEON_API_KEY belongs to an account with access to this project");
        case 404 -> new NeonApiException(status, "not found in the Neon API (HTTP 404, " + method + " " + path + "): "
            + why + "; check the project and branch ids");
        case 423, 429, 502, 503 -> new NeonApiException(status, "the Neon API was still busy after " + ATTEMPTS
            + " attempts (HTTP " + status + ", " + method + " " + path + "): " + why + "; try again later");
        default -> new NeonApiException(status, "the Neon API refused " + method + " " + path + " (HTTP " + status + "): "
            + why);
      };
    }
  }

  private void wait(Duration d) {
    try {
      sleeper.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NeonApiException("interrupted while waiting for the Neon API", e);
    }
  }

  public static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String queryString(Map<String, String> query) {
    return query.isEmpty() ? "" : query.entrySet().stream().map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
        .collect(Collectors.joining("&", "?", ""));
  }

  private static Optional<Duration> retryAfter(HttpResponse<String> r) {
    try {
      return r.headers().firstValue("Retry-After").map(v -> Duration.ofSeconds(Math.min(30, Long.parseLong(v.strip()))));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static String message(String body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n != null && n.hasNonNull("message")) {
        return abbreviate(n.path("message").asText());
      }
    } catch (IOException e) {
      // not JSON: the body itself, shortened
    }
    return abbreviate(body);
  }

  static String abbreviate(String s) {
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() > 200 ? one.substring(0, 200) + "…" : one;
  }
}
