package dev.pgopt.analyze.health.checks;

import static dev.pgopt.analyze.health.ThresholdDefinition.Kind.SECONDS;

import dev.pgopt.analyze.health.CheckContext;
import dev.pgopt.analyze.health.CheckResult;
import dev.pgopt.analyze.health.HealthCheck;
import dev.pgopt.analyze.health.Status;
import dev.pgopt.analyze.health.Threshold;
import dev.pgopt.analyze.health.ThresholdDefinition;
import dev.pgopt.analyze.health.Thresholds;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Sql;
import java.sql.Array;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Sessions waiting on locks, each with the chain of pids that blocks it down to the root blocker. */
public final class BlockedQueriesCheck implements HealthCheck {
  public static final String NAME = "blocked_queries";

  /** A backend taking part in blocking: waiting ({@code blockedBy} non-empty) or holding. */
  public record Backend(int pid, List<Integer> blockedBy, String user, String state, double waitingSeconds,
                        double transactionSeconds, String query) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ThresholdDefinition> thresholds() {
    return List.of(
        new ThresholdDefinition("blocked_queries.warning", SECONDS, "10s",
            "row locks held for milliseconds are normal; a wait of 10 s is already a user-visible stall"),
        new ThresholdDefinition("blocked_queries.critical", SECONDS, "60s",
            "a minute-long lock queue usually sits behind DDL or an idle transaction and grows with every request"));
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    List<Backend> waiting = Sql.list(ctx.connection(), """
        SELECT pid, pg_blocking_pids(pid) AS blockers, usename, state,
               extract(epoch FROM now() - query_start)::float8 AS waiting_s,
               coalesce(extract(epoch FROM now() - xact_start)::float8, 0) AS xact_s, query
          FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND cardinality(pg_blocking_pids(pid)) > 0""",
        rs -> new Backend(rs.getInt("pid"), ints(rs.getArray("blockers")), rs.getString("usename"), rs.getString("state"),
            rs.getDouble("waiting_s"), rs.getDouble("xact_s"), Units.truncate(rs.getString("query"), 120)));
    Set<Integer> blockers = new LinkedHashSet<>();
    waiting.forEach(b -> blockers.addAll(b.blockedBy()));
    waiting.forEach(b -> blockers.remove(b.pid()));
    List<Backend> holders = blockers.isEmpty() ? List.of() : Sql.list(ctx.connection(), """
        SELECT pid, usename, state, coalesce(extract(epoch FROM now() - xact_start)::float8, 0) AS xact_s, query
          FROM pg_stat_activity WHERE pid = ANY (?)""",
        rs -> new Backend(rs.getInt("pid"), List.of(), rs.getString("usename"), rs.getString("state"), 0,
            rs.getDouble("xact_s"), Units.truncate(rs.getString("query"), 120)),
        ctx.connection().createArrayOf("int4", blockers.toArray()));
    List<Backend> all = new ArrayList<>(waiting);
    all.addAll(holders);
    return evaluate(all, ctx.thresholds());
  }

  private static List<Integer> ints(Array a) throws SQLException {
    List<Integer> out = new ArrayList<>();
    for (Object o : (Object[]) a.getArray()) {
      out.add(((Number) o).intValue());
    }
    return out;
  }

  /** Follows the first blocker of each pid until a backend that waits on nobody; stops on cycles (deadlocks in the making). */
  public static List<Integer> chain(int pid, Map<Integer, Backend> byPid) {
    List<Integer> chain = new ArrayList<>();
    Set<Integer> seen = new LinkedHashSet<>();
    Integer current = pid;
    while (current != null && seen.add(current)) {
      chain.add(current);
      Backend b = byPid.get(current);
      current = b == null || b.blockedBy().isEmpty() ? null : b.blockedBy().get(0);
    }
    return chain;
  }

  public static CheckResult evaluate(List<Backend> backends, Thresholds t) {
    Threshold threshold = Threshold.above(t.orNull("blocked_queries.warning"), t.orNull("blocked_queries.critical"), "seconds");
    Map<Integer, Backend> byPid = new HashMap<>();
    backends.forEach(b -> byPid.put(b.pid(), b));
    List<Backend> waiting = backends.stream().filter(b -> !b.blockedBy().isEmpty())
        .sorted((a, b) -> Double.compare(b.waitingSeconds(), a.waitingSeconds())).toList();
    double longest = waiting.stream().mapToDouble(Backend::waitingSeconds).max().orElse(0);
    Status status = waiting.isEmpty() ? Status.OK : threshold.statusOf(longest);
    List<Map<String, Object>> rows = new ArrayList<>();
    Map<Integer, Integer> rootCounts = new LinkedHashMap<>();
    for (Backend w : waiting) {
      List<Integer> chain = chain(w.pid(), byPid);
      int root = chain.get(chain.size() - 1);
      rootCounts.merge(root, 1, Integer::sum);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("pid", w.pid());
      row.put("waiting_seconds", Math.round(w.waitingSeconds()));
      row.put("blocked_by", w.blockedBy());
      row.put("chain", chain);
      row.put("query", String.valueOf(w.query()));
      rows.add(row);
    }
    List<Map<String, Object>> roots = new ArrayList<>();
    rootCounts.forEach((pid, n) -> {
      Backend b = byPid.get(pid);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("pid", pid);
      row.put("blocks", n);
      row.put("state", b == null ? "unknown" : String.valueOf(b.state()));
      row.put("transaction_seconds", b == null ? null : Math.round(b.transactionSeconds()));
      row.put("query", b == null ? null : b.query());
      roots.add(row);
    });
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("count", waiting.size());
    details.put("blocked", rows);
    details.put("root_blockers", roots);
    String message;
    String fix = null;
    if (waiting.isEmpty()) {
      message = "no session is waiting on a lock held by another";
    } else {
      Backend first = waiting.get(0);
      List<Integer> chain = chain(first.pid(), byPid);
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < chain.size(); i++) {
        sb.append(i == 0 ? "" : " ← ").append(chain.get(i));
      }
      int root = chain.get(chain.size() - 1);
      Backend rootBackend = byPid.get(root);
      message = waiting.size() + " waiting on locks; longest " + Units.seconds(longest) + ", chain " + sb
          + (rootBackend != null ? " (root " + root + " is " + rootBackend.state() + ")" : "");
      if (status != Status.OK) {
        fix = "look at the root blocker " + root + "; if it is stuck, SELECT pg_terminate_backend(" + root
            + "); run DDL with a lock_timeout";
      }
    }
    return new CheckResult(NAME, status, Math.round(longest), waiting.isEmpty() ? "0" : waiting.size() + ", longest " + Units.seconds(longest),
        threshold, message, fix, details);
  }
}
