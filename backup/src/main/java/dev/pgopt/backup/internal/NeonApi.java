package dev.pgopt.backup.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgopt.backup.BackupException;
import dev.pgopt.backup.NeonSettings;
import dev.pgopt.backup.PointInTimeBranches;
import dev.pgopt.cloud.neon.NeonApiException;
import dev.pgopt.cloud.neon.NeonClient;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.InvalidTargetException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Neon's HTTP API (v2) for the four calls a branch drill needs: create a branch at a timestamp with a read-write
 * compute, wait for its operations, get its connection string, delete it. The transport (retries of busy answers,
 * the key only in the Authorization header) is the cloud module's {@link NeonClient}.
 */
public final class NeonApi implements PointInTimeBranches {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration POLL = Duration.ofSeconds(1);

  private final NeonSettings settings;
  private final NeonClient client;

  public NeonApi(NeonSettings settings) {
    this.settings = settings;
    this.client = new NeonClient(settings.api(), settings.apiKey());
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
    try {
      return client.send(method, path, body, missingOk);
    } catch (NeonApiException e) {
      throw new BackupException(e.getMessage() + (e.status() == 401 || e.status() == 403 ? " (project "
          + settings.project() + ")" : ""), e);
    }
  }

  private String project() {
    return "/projects/" + encode(settings.project());
  }



  private static String abbreviate(String s) {
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() > 200 ? one.substring(0, 200) + "…" : one;
  }

  private static String encode(String s) {
    return NeonClient.encode(s);
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
