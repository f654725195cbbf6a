package dev.pgopt.cloud.neon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A local HTTP server that answers as the Neon API documents its read calls: scripted answers per path, the bearer
 * key checked on every request, every request recorded.
 */
final class NeonApiStub implements AutoCloseable {
  static final String KEY = "neon-test-key-" + java.util.UUID.randomUUID();

  record Answer(int status, String body, Map<String, String> headers) {
    static Answer ok(String body) {
      return new Answer(200, body, Map.of());
    }
  }

  record Request(String path, String query, String authorization) {}

  final List<Request> requests = new CopyOnWriteArrayList<>();
  private final Map<String, Function<Request, Answer>> routes = new ConcurrentHashMap<>();
  private final HttpServer server;

  NeonApiStub() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  URI api() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api/v2");
  }

  void route(String path, Function<Request, Answer> answer) {
    routes.put("/api/v2" + path, answer);
  }

  private void handle(HttpExchange ex) throws IOException {
    Request r = new Request(ex.getRequestURI().getPath(), ex.getRequestURI().getRawQuery(),
        ex.getRequestHeaders().getFirst("Authorization"));
    requests.add(r);
    Answer a;
    if (!("Bearer " + KEY).equals(r.authorization())) {
      a = new Answer(401, "{\"code\":\"\",\"message\":\"authentication required\"}", Map.of());
    } else {
      Function<Request, Answer> route = routes.get(r.path());
      a = route == null ? new Answer(404, "{\"code\":\"\",\"message\":\"not found\"}", Map.of()) : route.apply(r);
    }
    byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    a.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    ex.sendResponseHeaders(a.status(), body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      ex.getResponseBody().write(body);
    }
    ex.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
