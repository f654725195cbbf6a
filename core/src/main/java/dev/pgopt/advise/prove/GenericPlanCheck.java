package dev.pgopt.advise.prove;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.advise.whatif.ParameterValues;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a prepared statement costs once the server's plan cache switches it to its generic plan. PostgreSQL plans the
 * first five executions of a prepared statement with their values (custom plans), then uses the generic plan, planned
 * without values, whenever its estimated cost is below the custom plans' average estimate plus an allowance for
 * planning ({@code 1000 * cpu_operator_cost} per relation of the plan, plus one); pgjdbc prepares on the server from a
 * statement's fifth execution. The generic plan's estimate is for an average value: on a skewed column it can pick a
 * plan that is fast for the many rare values and slow for the hot ones (the sample dataset's messages lookup, with
 * indexes on {@code project_id} and a BRIN on {@code created_at}: 278 ms for the hottest project against 12 ms with its
 * own plan, while a rare project's custom estimate is above the generic one, so the server switches).
 *
 * <p>So each representative call ({@link ParameterValues#prepared}: the hot values of the skewed column and an
 * ordinary one, each as often as it occurs) runs both ways, {@code EXPLAIN ANALYZE EXECUTE} with
 * {@code plan_cache_mode} forced, in the caller's transaction under a savepoint, and the server's choice is computed
 * from the plans' estimates as the plan cache computes it.
 */
final class GenericPlanCheck {
  /** The generic plan counts as slower at this ratio of the calls' weighted mean times ... */
  static final double SLOWER_RATIO = 1.5;
  /** ... and this many milliseconds per call: below it, planning at every call may cost more than it saves. */
  static final double SLOWER_MS = 1.0;
  /** Fewer sessions switching than this is left alone: a rare session's slow calls are not worth a role setting. */
  static final double MIN_SWITCH_SHARE = 0.05;
  /** Custom plans the plan cache makes before it compares them with the generic plan. */
  static final int CUSTOM_PLANS = 5;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NAME = "pgopt_generic_check";

  /** One representative call, both ways. */
  public record CallTiming(String described, double weight, double customMs, double genericMs, double customCost) {}

  /**
   * @param customMs the calls' weighted mean time with their own plans
   * @param genericMs the same with the generic plan
   * @param customCost the custom plans' weighted mean estimate, planning allowance included, as the plan cache averages
   * @param switchShare the share of sessions whose plan cache switches to the generic plan: those whose first five
   *     calls (drawn as often as each representative call stands for) average a custom estimate above the generic one
   * @param planningMs the custom plans' mean planning time: what forcing custom plans costs per call
   * @param failure why it could not be measured (then the other fields are NaN); null when measured
   */
  public record Verdict(double customMs, double genericMs, double customCost, double genericCost, double switchShare,
                        double planningMs, List<CallTiming> calls, String failure) {
    static Verdict failed(String why) {
      return new Verdict(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, Double.NaN, List.of(), why);
    }

    /** Sessions switch to the generic plan often enough to matter, and their calls then run slower beyond noise. */
    public boolean slower() {
      return failure == null && switchShare >= MIN_SWITCH_SHARE && genericMs > SLOWER_RATIO * customMs
          && genericMs - customMs > SLOWER_MS;
    }

    /** The call the generic plan slows most, in absolute time. */
    public CallTiming worst() {
      return calls.stream().max((a, b) -> Double.compare(a.genericMs() - a.customMs(), b.genericMs() - b.customMs())).orElseThrow();
    }

    /** For a finding's evidence. */
    public Map<String, Object> evidence() {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("custom_ms", round(customMs));
      e.put("generic_ms", round(genericMs));
      e.put("custom_cost", round(customCost));
      e.put("generic_cost", round(genericCost));
      e.put("sessions_switching", round(switchShare));
      e.put("planning_ms", round(planningMs));
      List<Map<String, Object>> list = new ArrayList<>();
      for (CallTiming t : calls) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("value", t.described());
        m.put("share", round(t.weight()));
        m.put("custom_ms", round(t.customMs()));
        m.put("generic_ms", round(t.genericMs()));
        list.add(m);
      }
      e.put("representative_calls", list);
      return e;
    }
  }

  private GenericPlanCheck() {}

  /**
   * Runs {@code p}'s calls with custom and with generic plans ({@code runs} each after a warm-up, the median counted;
   * a run the timeout cuts counts as the timeout). Everything happens under a savepoint of the caller's transaction, and
   * the prepared statement is deallocated whatever happens.
   */
  public static Verdict measure(Connection c, ParameterValues.Prepared p, int runs, long timeoutMs) throws SQLException {
    if (p.sql() == null) {
      return Verdict.failed(p.problem());
    }
    double operatorCost = Sql.one(c, "SELECT current_setting('cpu_operator_cost')::float8", rs -> rs.getDouble(1));
    Savepoint sp = c.setSavepoint("pgopt_generic");
    boolean prepared = false;
    try (Statement s = c.createStatement()) {
      s.execute(Sql.OWN_MARK + "SET LOCAL statement_timeout = '" + timeoutMs + "ms'");
      s.execute(Sql.OWN_MARK + "PREPARE " + NAME + " AS " + p.sql());
      prepared = true;
      List<CallTiming> calls = new ArrayList<>();
      double genericCost = Double.NaN;
      double planning = 0;
      for (ParameterValues.Call call : p.calls()) {
        String execute = "EXECUTE " + NAME + (call.arguments().isEmpty() ? "" : "(" + String.join(", ", call.arguments()) + ")");
        s.execute(Sql.OWN_MARK + "SET LOCAL plan_cache_mode = force_custom_plan");
        Run custom = run(s, execute, runs, timeoutMs);
        s.execute(Sql.OWN_MARK + "SET LOCAL plan_cache_mode = force_generic_plan");
        Run generic = run(s, execute, runs, timeoutMs);
        genericCost = generic.cost;
        planning += call.weight() * custom.planningMs;
        calls.add(new CallTiming(call.described(), call.weight(), custom.ms,
            generic.ms, custom.cost + 1000 * operatorCost * (custom.relations + 1)));
      }
      double customMs = calls.stream().mapToDouble(t -> t.weight() * t.customMs()).sum();
      double genericMs = calls.stream().mapToDouble(t -> t.weight() * t.genericMs()).sum();
      double customCost = calls.stream().mapToDouble(t -> t.weight() * t.customCost()).sum();
      c.releaseSavepoint(sp);
      double[] weights = calls.stream().mapToDouble(CallTiming::weight).toArray();
      double[] costs = calls.stream().mapToDouble(CallTiming::customCost).toArray();
      return new Verdict(customMs, genericMs, customCost, genericCost, switchShare(weights, costs, genericCost), planning,
          calls, null);
    } catch (SQLException failed) {
      c.rollback(sp);
      return Verdict.failed(failed.getMessage().split("\n")[0]);
    } finally {
      if (prepared) {
        try (Statement s = c.createStatement()) {
          s.execute(Sql.OWN_MARK + "DEALLOCATE " + NAME);
        }
      }
    }
  }

  /**
   * The share of sessions whose first {@value #CUSTOM_PLANS} calls, each drawn with {@code weights}, average a custom
   * estimate above {@code genericCost}: every sequence of draws enumerated (at most 6 calls, 7,776 sequences).
   */
  static double switchShare(double[] weights, double[] costs, double genericCost) {
    return share(weights, costs, genericCost, CUSTOM_PLANS, 0, 1);
  }

  private static double share(double[] weights, double[] costs, double genericCost, int left, double sum, double p) {
    if (left == 0) {
      return genericCost < sum / CUSTOM_PLANS ? p : 0;
    }
    double out = 0;
    for (int i = 0; i < weights.length; i++) {
      if (weights[i] > 0) {
        out += share(weights, costs, genericCost, left - 1, sum + costs[i], p * weights[i]);
      }
    }
    return out;
  }

  private record Run(double ms, double cost, double planningMs, int relations) {}

  private static Run run(Statement s, String execute, int runs, long timeoutMs) throws SQLException {
    double[] ms = new double[runs];
    double cost = Double.NaN;
    double planning = 0;
    int relations = 0;
    for (int i = -1; i < runs; i++) {
      try (ResultSet rs = s.executeQuery(Sql.OWN_MARK + "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + execute)) {
        rs.next();
        JsonNode top = JSON.readTree(rs.getString(1)).get(0);
        if (i >= 0) {
          ms[i] = top.path("Execution Time").asDouble();
          planning += top.path("Planning Time").asDouble() / runs;
        }
        cost = top.path("Plan").path("Total Cost").asDouble();
        relations = relations(top.path("Plan"));
      } catch (SQLException cut) {
        if (!"57014".equals(cut.getSQLState())) {
          throw cut;
        }
        // the timeout is a lower bound of this side's time; the transaction is aborted, so the side ends here
        throw new SQLException("a run took longer than the " + timeoutMs + " ms statement timeout", "57014", cut);
      } catch (com.fasterxml.jackson.core.JsonProcessingException bad) {
        throw new SQLException("EXPLAIN ANALYZE returned something that is not JSON", bad);
      }
    }
    Arrays.sort(ms);
    return new Run(ms[ms.length / 2], cost, planning, relations);
  }

  /** The relations a plan scans: the plan cache's planning allowance counts its range table, of which these are most. */
  private static int relations(JsonNode node) {
    int n = node.has("Relation Name") ? 1 : 0;
    for (JsonNode child : node.path("Plans")) {
      n += relations(child);
    }
    return n;
  }

  private static double round(double v) {
    return Double.isNaN(v) ? v : Math.round(v * 100) / 100.0;
  }
}
