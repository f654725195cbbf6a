package dev.pgopt.advise.prove;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Plans and timings of statements in the caller's transaction. Each statement runs under a savepoint, so a statement
 * that fails (a value the statistics gave that the expression rejects) or runs into the timeout costs only itself,
 * and the transaction, with any indexes built in it, stays usable.
 */
final class StatementTimer {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A statement's median, fastest and slowest time, or why it could not be run. */
  record Timing(double ms, double min, double max, String failure) {
    static Timing failed(String why) {
      return new Timing(Double.NaN, Double.NaN, Double.NaN, why);
    }
  }

  private StatementTimer() {}

  /** The index names each statement's plan reads (plain EXPLAIN); a statement that cannot be planned maps to null. */
  static Map<String, Set<String>> indexesUsed(Connection c, Map<String, String> runnable) throws SQLException {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    try (Statement s = c.createStatement()) {
      for (Map.Entry<String, String> e : runnable.entrySet()) {
        Savepoint sp = c.setSavepoint("pgopt_plan");
        try (ResultSet rs = s.executeQuery(Sql.OWN_MARK + "EXPLAIN (FORMAT JSON) " + e.getValue())) {
          rs.next();
          out.put(e.getKey(), indexNames(rs.getString(1)));
          c.releaseSavepoint(sp);
        } catch (SQLException failed) {
          c.rollback(sp);
          out.put(e.getKey(), null);
        }
      }
    }
    return out;
  }

  /**
   * Median execution time of {@code runs} runs after one warm-up ({@code EXPLAIN (ANALYZE, TIMING OFF)}: no rows
   * travel). A run the statement timeout cuts counts as the timeout, a lower bound.
   */
  static Map<String, Timing> time(Connection c, Map<String, String> runnable, int runs, long timeoutMs) throws SQLException {
    Map<String, Timing> out = new LinkedHashMap<>();
    try (Statement s = c.createStatement()) {
      s.execute(Sql.OWN_MARK + "SET LOCAL statement_timeout = '" + timeoutMs + "ms'");
      for (Map.Entry<String, String> e : runnable.entrySet()) {
        double[] ms = new double[runs];
        Savepoint sp = c.setSavepoint("pgopt_time");
        try {
          for (int i = -1; i < runs; i++) {
            try (ResultSet rs = s.executeQuery(Sql.OWN_MARK + "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + e.getValue())) {
              rs.next();
              if (i >= 0) {
                ms[i] = JSON.readTree(rs.getString(1)).get(0).path("Execution Time").asDouble();
              }
            }
          }
          c.releaseSavepoint(sp);
        } catch (SQLException failed) {
          c.rollback(sp);
          if (!"57014".equals(failed.getSQLState())) {
            out.put(e.getKey(), Timing.failed(failed.getMessage().split("\n")[0]));
            continue;
          }
          Arrays.fill(ms, timeoutMs);
        } catch (com.fasterxml.jackson.core.JsonProcessingException bad) {
          throw new SQLException("EXPLAIN ANALYZE returned something that is not JSON", bad);
        }
        Arrays.sort(ms);
        out.put(e.getKey(), new Timing(ms[ms.length / 2], ms[0], ms[ms.length - 1], null));
      }
    }
    return out;
  }

  private static Set<String> indexNames(String planJson) throws SQLException {
    try {
      Set<String> names = new LinkedHashSet<>();
      collect(JSON.readTree(planJson), names);
      return names;
    } catch (com.fasterxml.jackson.core.JsonProcessingException bad) {
      throw new SQLException("EXPLAIN returned something that is not JSON", bad);
    }
  }

  private static void collect(JsonNode node, Set<String> names) {
    if (node.isObject()) {
      JsonNode name = node.get("Index Name");
      if (name != null && name.isTextual()) {
        names.add(name.asText());
      }
    }
    node.forEach(child -> collect(child, names));
  }
}
