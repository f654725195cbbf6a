package dev.pgopt.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pgopt.testkit.TestCluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for the four Neon API v2 calls a branch drill makes, following the documented shapes (create
 * branch: 201 with branch, endpoints and operations; operations move from running to finished; connection_uri: {uri};
 * delete: 200, 404 when gone; errors: {code, message}). A "branch" is a copy of the source database on a test-kit
 * cluster (CREATE DATABASE ... TEMPLATE), so the drill's checks run against a real server. It cannot go back in time:
 * the copy holds the source as it is when the branch is made, and the timestamp asked for is recorded for the test.
 */
final class NeonApiStub implements AutoCloseable {
  static final String KEY = "neon-test-key-" + UUID.randomUUID();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern BRANCHES = Pattern.compile("/api/v2/projects/([^/]+)/branches(?:/([^/]+))?");
  private static final Pattern OPERATION = Pattern.compile("/api/v2/projects/([^/]+)/operations/([^/]+)");
  private static final Pattern URI_PATH = Pattern.compile("/api/v2/projects/([^/]+)/connection_uri");

  record Request(String method, String path, String query, String body, String authorization) {}

  final List<Request> requests = new CopyOnWriteArrayList<>();
  /** branch id -> database on the cluster; removed when deleted */
  final Map<String, String> branches = new ConcurrentHashMap<>();
  final Map<String, Instant> parentTimestamps = new ConcurrentHashMap<>();
  /** answer this many create requests with 423 (another operation is running) first */
  final AtomicInteger busyCreates = new AtomicInteger();
  volatile boolean failOperations;

  private final Map<String, AtomicInteger> polls = new ConcurrentHashMap<>();
  private final HttpServer server;
  private final TestCluster cluster;
  private final String project;
  private final String source;
  private final AtomicInteger counter = new AtomicInteger();

  NeonApiStub(TestCluster cluster, String project, String source) throws IOException {
    this.cluster = cluster;
    this.project = project;
    this.source = source;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  URI api() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api/v2");
  }

  private void handle(HttpExchange ex) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String path = ex.getRequestURI().getPath();
    String method = ex.getRequestMethod();
    requests.add(new Request(method, path, ex.getRequestURI().getRawQuery(), body,
        ex.getRequestHeaders().getFirst("Authorization")));
    try {
      if (!("Bearer " + KEY).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        error(ex, 401, "authentication required");
        return;
      }
      Matcher b = BRANCHES.matcher(path);
      Matcher o = OPERATION.matcher(path);
      Matcher u = URI_PATH.matcher(path);
      String p = b.matches() ? b.group(1) : o.matches() ? o.group(1) : u.matches() ? u.group(1) : null;
      if (p == null) {
        error(ex, 404, "no such endpoint");
      } else if (!p.equals(project)) {
        error(ex, 404, "project not found");
      } else if (b.matches() && b.group(2) == null && method.equals("POST")) {
        create(ex, JSON.readTree(body));
      } else if (b.matches() && b.group(2) != null && method.equals("DELETE")) {
        delete(ex, b.group(2));
      } else if (o.matches() && method.equals("GET")) {
        operation(ex, o.group(2));
      } else if (u.matches() && method.equals("GET")) {
        connectionUri(ex, query(ex.getRequestURI().getRawQuery()));
      } else {
        error(ex, 405, "method not allowed");
      }
    } catch (RuntimeException e) {
      error(ex, 500, e.getMessage());
    }
  }

  private void create(HttpExchange ex, JsonNode body) throws IOException {
    if (busyCreates.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      error(ex, 423, "project already has running conflicting operations, scheduling of new ones is prohibited");
      return;
    }
    JsonNode branch = body.path("branch");
    Instant at;
    try {
      at = Instant.parse(branch.path("parent_timestamp").asText());
    } catch (RuntimeException e) {
      error(ex, 400, "parent_timestamp must be an ISO 8601 timestamp");
      return;
    }
    String id = "br-stub-" + counter.incrementAndGet();
    String database = "neon_" + id.replace('-', '_');
    cluster.execute("postgres", "CREATE DATABASE " + database + " TEMPLATE " + source);
    branches.put(id, database);
    parentTimestamps.put(id, at);
    ObjectNode out = JSON.createObjectNode();
    out.putObject("branch").put("id", id).put("project_id", project).put("name", branch.path("name").asText())
        .put("parent_timestamp", at.toString()).put("current_state", "init");
    out.putArray("endpoints").addObject().put("id", "ep-" + id).put("type", "read_write").put("host", "127.0.0.1");
    var ops = out.putArray("operations");
    for (String action : List.of("create_branch", "start_compute")) {
      String op = UUID.randomUUID().toString();
      polls.put(op, new AtomicInteger());
      ops.addObject().put("id", op).put("project_id", project).put("branch_id", id).put("action", action)
          .put("status", "running");
    }
    send(ex, 201, out);
  }

  private void operation(HttpExchange ex, String id) throws IOException {
    AtomicInteger n = polls.get(id);
    if (n == null) {
      error(ex, 404, "operation not found");
      return;
    }
    ObjectNode out = JSON.createObjectNode();
    ObjectNode op = out.putObject("operation").put("id", id).put("project_id", project);
    if (failOperations) {
      op.put("status", "failed").put("error", "compute start timed out");
    } else {
      op.put("status", n.incrementAndGet() < 2 ? "running" : "finished");
    }
    send(ex, 200, out);
  }

  private void connectionUri(HttpExchange ex, Map<String, String> q) throws IOException {
    String database = branches.get(q.getOrDefault("branch_id", ""));
    if (database == null || q.get("database_name") == null || q.get("role_name") == null) {
      error(ex, 400, "branch_id, database_name and role_name are required");
      return;
    }
    send(ex, 200, JSON.createObjectNode().put("uri", cluster.url(database) + "?sslmode=disable"));
  }

  private void delete(HttpExchange ex, String id) throws IOException {
    String database = branches.remove(id);
    if (database == null) {
      error(ex, 404, "branch not found");
      return;
    }
    cluster.execute("postgres", "DROP DATABASE " + database + " WITH (FORCE)");
    ObjectNode out = JSON.createObjectNode();
    out.putObject("branch").put("id", id).put("project_id", project);
    out.putArray("operations");
    send(ex, 200, out);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw != null) {
      for (String kv : raw.split("&")) {
        String[] p = kv.split("=", 2);
        out.put(URLDecoder.decode(p[0], StandardCharsets.UTF_8), p.length > 1 ? URLDecoder.decode(p[1], StandardCharsets.UTF_8) : "");
      }
    }
    return out;
  }

  private static void error(HttpExchange ex, int status, String message) throws IOException {
    send(ex, status, JSON.createObjectNode().put("code", "").put("message", message));
  }

  private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  @Override
  public void close() {
    server.stop(0);
    for (String database : branches.values()) {
      cluster.execute("postgres", "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
  }
}
