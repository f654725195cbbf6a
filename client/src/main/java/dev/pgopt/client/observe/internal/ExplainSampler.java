package dev.pgopt.client.observe.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.pgopt.client.observe.SlowStatementSink;
import dev.pgopt.client.route.internal.Node;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Captures the plan of a sampled slow statement off the caller's thread: plain EXPLAIN (never ANALYZE, so nothing is
 * executed) with the same parameters, on the node that ran it, in a transaction that is rolled back. A full queue
 * drops the plan, not the log line.
 */
final class ExplainSampler implements AutoCloseable {
  private final SlowStatementSink sink;
  private final ThreadPoolExecutor executor;

  ExplainSampler(SlowStatementSink sink) {
    this.sink = sink;
    this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(32), r -> {
      Thread t = new Thread(r, "pgopt-explain");
      t.setDaemon(true);
      return t;
    }, (r, ex) -> ((Task) r).writeWithoutPlan("explain queue full"));
  }

  void submit(ObjectNode line, Node node, String sql, List<Object[]> parameters) {
    executor.execute(new Task(line, node, sql, parameters));
  }

  private final class Task implements Runnable {
    private final ObjectNode line;
    private final Node node;
    private final String sql;
    private final List<Object[]> parameters;

    Task(ObjectNode line, Node node, String sql, List<Object[]> parameters) {
      this.line = line;
      this.node = node;
      this.sql = sql;
      this.parameters = parameters;
    }

    @Override
    public void run() {
      try (Connection c = node.pool().getConnection()) {
        c.setAutoCommit(false);
        try {
          try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL statement_timeout = '5s'");
          }
          try (PreparedStatement ps = c.prepareStatement("EXPLAIN (FORMAT JSON) " + sql)) {
            if (parameters != null) {
              for (Object[] p : parameters) {
                ((Method) p[0]).invoke(ps, (Object[]) p[1]);
              }
            }
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              line.set("plan", withoutData(StatementObserver.JSON.readTree(rs.getString(1))));
            }
          }
        } finally {
          c.rollback();
        }
        sink.write(line.toString());
      } catch (SQLException | ReflectiveOperationException | com.fasterxml.jackson.core.JsonProcessingException e) {
        writeWithoutPlan(e.getMessage());
      }
    }

    void writeWithoutPlan(String why) {
      line.put("plan_error", why == null ? "unknown" : why.lines().findFirst().orElse(why));
      sink.write(line.toString());
    }
  }

  /** Plans show constants and bound values in conditions: sanitize every string as SQL. */
  static JsonNode withoutData(JsonNode node) {
    if (node instanceof ObjectNode o) {
      o.properties().forEach(e -> {
        if (e.getValue().isTextual()) {
          e.setValue(TextNode.valueOf(SqlSanitizer.sanitize(e.getValue().asText())));
        } else {
          withoutData(e.getValue());
        }
      });
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i).isTextual()) {
          a.set(i, TextNode.valueOf(SqlSanitizer.sanitize(a.get(i).asText())));
        } else {
          withoutData(a.get(i));
        }
      }
    }
    return node;
  }

  @Override
  public void close() {
    executor.shutdown();
  }
}
