package dev.pgopt.backup.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgopt.backup.BackupException;
import dev.pgopt.backup.NeonSettings;
import dev.pgopt.backup.PointInTimeBranches;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.InvalidTargetException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Neon's HTTP API (v2) for the four calls a branch drill needs: create a branch at a timestamp with a read-write
 * compute, wait for its operations, get its connection string, delete it. Busy answers (423 while another operation
 * runs on the project, 429, 503) are retried with backoff; the key travels only in the Authorization header.
 */
public final class NeonApi implements PointInTimeBranches {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<Integer> BUSY = Set.of(423, 429, 502, 503);
  private static final int ATTEMPTS = 6;
  private static final Duration POLL = Duration.ofSeconds(1);

  private final NeonSettings settings;
  private final HttpClient http;

  public NeonApi(NeonSettings settings) {
    this.settings = settings;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  @Override
  public Branch create(Instant at, String name) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode branch = body.putObject("branch");
    branch.put("name", name);
    settings.parentBranch().ifPresent(p -> branch.put("parent_id", p));
    branch.put("parent_timestamp", at.toString());
    body.putArray("endpoints").addObject().put("type", "read_write");
    JsonNode created = send("POST", project() + "/branches", body);
    String id = created.path("branch").path("id").asText("");
    if (id.isEmpty()) {
      throw new BackupException("the Neon API created a branch but did not say its id: " + abbreviate(created.toString()));
    }
    Branch made = new Branch(id, null);
    try {
      for (JsonNode op : created.path("operations")) {
        await(op.path("id").asText(), op.path("action").asText("operation"));
      }
      JsonNode uri = send("GET", project() + "/connection_uri?branch_id=" + encode(id) + "&database_name="
          + encode(settings.database()) + "&role_name=" + encode(settings.role()), null);
      String text = uri.path("uri").asText("");
      if (text.isEmpty()) {
        throw new BackupException("the Neon API gave no connection string for branch " + id);
      }
      return new Branch(id, DatabaseTarget.parse(text, Environment.of(Map.of(), Path.of("/nonexistent"), settings.role())));
    } catch (InvalidTargetException e) {
      BackupException failure = new BackupException("the Neon API's connection string for branch " + id
          + " is not usable: " + e.getMessage(), e);
      deleteAfter(made, failure);
      throw failure;
    } catch (RuntimeException e) {
      deleteAfter(made, e);
      throw e;
    }
  }

  /** A branch left half-made is removed; if that fails too, the failure says so beside the first one. */
  private void deleteAfter(Branch branch, RuntimeException first) {
    try {
      delete(branch);
    } catch (BackupException e) {
      first.addSuppressed(e);
    }
  }

  @Override
  public void delete(Branch branch) {
    send("DELETE", project() + "/branches/" + encode(branch.id()), null, true);
  }

  @Override
  public String describe() {
    return "Neon project " + settings.project() + ", " + settings.parentBranch().map(b -> "parent branch " + b)
        .orElse("default branch");
  }

  @Override
  public String database() {
    return settings.database();
  }

  private void await(String operation, String action) {
    Instant deadline = Instant.now().plus(settings.ready());
    while (true) {
      JsonNode op = send("GET", project() + "/operations/" + encode(operation), null).path("operation");
      String status = op.path("status").asText("");
      switch (status) {
        case "finished", "skipped" -> {
          return;
        }
        case "failed", "error", "cancelled", "cancelling" -> throw new BackupException("Neon's " + action + " operation "
            + operation + " ended " + status + ": " + op.path("error").asText("no reason given"));
        default -> {
          if (Instant.now().isAfter(deadline)) {
            throw new BackupException("Neon's " + action + " operation " + operation + " still " + status + " after "
                + settings.ready().toMinutes() + " min");
          }
          sleep(POLL);
        }
      }
    }
  }

  private JsonNode send(String method, String path, JsonNode body) {
    return send(method, path, body, false);
  }

  /** @param missingOk a 404 answers null (deleting what is already gone) */
  private JsonNode send(String method, String path, JsonNode body, boolean missingOk) {
    URI uri = URI.create(settings.api().toString().replaceAll("/+$", "") + path);
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + settings.apiKey()).header("Accept", "application/json");
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
        throw new BackupException("cannot reach the Neon API at " + settings.api() + ": " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BackupException("interrupted while calling the Neon API", e);
      }
      int status = r.statusCode();
      if (status >= 200 && status < 300) {
        try {
          return r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
        } catch (IOException e) {
          throw new BackupException("the Neon API answered " + method + " " + path + " with something that is not JSON: "
              + abbreviate(r.body()), e);
        }
      }
      if (status == 404 && missingOk) {
        return null;
      }
      if (BUSY.contains(status) && attempt < ATTEMPTS) {
        sleep(retryAfter(r).orElse(backoff));
        backoff = backoff.multipliedBy(2);
        continue;
      }
      String why = message(r.body());
      throw switch (status) {
        case 401, 403 -> new BackupException("the Neon API refused the key (HTTP " + status + "): check NEON_API_KEY"
            + " belongs to an account with access to project " + settings.project());
        case 404 -> new BackupException("not found in the Neon API (HTTP 404, " + method + " " + path + "): " + why
            + "; check the project and branch ids");
        default -> new BackupException("the Neon API refused " + method + " " + path + " (HTTP " + status + "): " + why);
      };
    }
  }

  private String project() {
    return "/projects/" + encode(settings.project());
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

  private static String abbreviate(String s) {
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() > 200 ? one.substring(0, 200) + "…" : one;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackupException("interrupted while waiting for Neon", e);
    }
  }
}
