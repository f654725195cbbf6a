package dev.pgopt.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.apply.AuditLog;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.collect.StatementSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures what applied actions achieved: for the statements an action should help, the mean time and blocks read
 * per call since it was applied (pg_stat_statements deltas against the figures the audit log kept) against before.
 */
public final class Verifier {
  /** A gain below this share is no gain: the undo is recommended. */
  public static final double MIN_GAIN = 0.10;
  /** Fewer calls since the action than this: too early to say. */
  public static final long MIN_CALLS = 5;
  private static final ObjectMapper JSON = new ObjectMapper();

  private Verifier() {}

  /** One statement before and after. */
  public record StatementResult(long queryId, String query, double meanMsBefore, double meanMsAfter, long callsSince,
                                double blocksReadPerCallBefore, double blocksReadPerCallAfter) {}

  /** {@code verdict}: improved, no_gain (undo recommended) or too_early. */
  public record Verification(AuditLog.Entry action, String verdict, double gainPercent, List<StatementResult> statements,
                             String message) {}

  public static Verification verify(AuditLog.Entry action, StatementSnapshot now) {
    JsonNode before;
    try {
      before = JSON.readTree(action.statementsBefore());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("audit entry " + action.id() + " has unreadable statistics", e);
    }
    Map<Long, StatementEntry> current = new LinkedHashMap<>();
    now.entries().forEach(e -> current.merge(e.queryId(), e, (a, b) -> a.counters().calls() >= b.counters().calls() ? a : b));
    List<StatementResult> results = new ArrayList<>();
    double timeBefore = 0;
    double timeAfter = 0;
    long calls = 0;
    boolean reset = false;
    for (var field : before.properties()) {
      long queryId = Long.parseLong(field.getKey());
      JsonNode b = field.getValue();
      long callsBefore = b.path("calls").asLong();
      double totalBefore = b.path("total_exec_ms").asDouble();
      double readBefore = b.path("shared_blks_read").asDouble();
      StatementEntry e = current.get(queryId);
      if (e == null || callsBefore == 0) {
        continue;
      }
      long dc = e.counters().calls() - callsBefore;
      double dt = e.counters().totalExecMs() - totalBefore;
      double dr = e.counters().sharedBlksRead() - readBefore;
      if (dc < 0 || dt < 0) {
        // the statistics were reset after the action: everything counted now ran after it
        reset = true;
        dc = e.counters().calls();
        dt = e.counters().totalExecMs();
        dr = e.counters().sharedBlksRead();
      }
      double meanBefore = totalBefore / callsBefore;
      double meanAfter = dc == 0 ? Double.NaN : dt / dc;
      results.add(new StatementResult(queryId, e.query(), round(meanBefore), dc == 0 ? Double.NaN : round(meanAfter), dc,
          round(readBefore / callsBefore), dc == 0 ? Double.NaN : round(dr / dc)));
      if (dc > 0) {
        timeBefore += meanBefore * dc;
        timeAfter += dt;
        calls += dc;
      }
    }
    if (calls < MIN_CALLS) {
      return new Verification(action, "too_early", 0, results, "only " + calls + " calls of the affected statements since the action: "
          + "run pgopt verify again after more traffic");
    }
    double gain = timeBefore <= 0 ? 0 : 1 - timeAfter / timeBefore;
    String note = reset ? " (pg_stat_statements was reset after the action; counted from the reset)" : "";
    if (gain < MIN_GAIN) {
      return new Verification(action, "no_gain", round(gain * 100), results, "the affected statements are "
          + round(gain * 100) + " % faster: no measurable gain, consider the undo: " + action.undoSql() + note);
    }
    return new Verification(action, "improved", round(gain * 100), results, "the affected statements are " + round(gain * 100)
        + " % faster over " + calls + " calls" + note);
  }

  public static String json(Verification v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("verdict", v.verdict());
    m.put("gain_percent", v.gainPercent());
    m.put("message", v.message());
    m.put("statements", v.statements().stream().map(s -> {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("queryid", s.queryId());
      x.put("mean_ms_before", s.meanMsBefore());
      x.put("mean_ms_after", Double.isNaN(s.meanMsAfter()) ? null : s.meanMsAfter());
      x.put("calls_since", s.callsSince());
      x.put("blocks_read_per_call_before", s.blocksReadPerCallBefore());
      x.put("blocks_read_per_call_after", Double.isNaN(s.blocksReadPerCallAfter()) ? null : s.blocksReadPerCallAfter());
      return x;
    }).toList());
    try {
      return JSON.writeValueAsString(m);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
