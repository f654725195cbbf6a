package dev.pgopt.analyze.workload;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pgopt.collect.StatementCounters;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The versioned JSON form of {@code pgopt queries} (docs/queries-report.md). */
public final class TopStatementsJson {
  public static final int VERSION = 1;
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private TopStatementsJson() {}

  public static String write(TopStatements top, String target, String database, Instant generatedAt) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("version", VERSION);
    root.put("target", target);
    root.put("database", database);
    root.put("generated_at", generatedAt.toString());
    WorkloadWindow w = top.window();
    Map<String, Object> window = new LinkedHashMap<>();
    window.put("kind", w.from() == null ? "cumulative" : "window");
    window.put("from", w.from() == null ? null : w.from().toString());
    window.put("to", w.to().toString());
    window.put("seconds", w.from() == null ? null : w.length().toMillis() / 1000.0);
    window.put("stats_reset", w.statsReset() == null ? null : w.statsReset().toString());
    root.put("window", window);
    root.put("sort", top.sort().label());
    root.put("totals", Map.of("calls", top.totalCalls(), "total_exec_ms", round(top.totalExecMs())));
    root.put("notes", w.notes());
    List<Map<String, Object>> rows = top.statements().stream().map(r -> {
      StatementCounters c = r.delta().counters();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("rank", r.rank());
      m.put("queryid", r.delta().entry().queryId());
      m.put("user", r.delta().entry().user());
      m.put("toplevel", r.delta().entry().topLevel());
      m.put("query", r.delta().entry().query());
      m.put("calls", c.calls());
      m.put("total_exec_ms", round(c.totalExecMs()));
      m.put("mean_exec_ms", round(c.meanExecMs()));
      m.put("share_percent", round(r.sharePercent()));
      m.put("rows", c.rows());
      m.put("shared_blks_hit", c.sharedBlksHit());
      m.put("shared_blks_read", c.sharedBlksRead());
      m.put("temp_blks_read", c.tempBlksRead());
      m.put("temp_blks_written", c.tempBlksWritten());
      m.put("blk_read_ms", round(c.blkReadMs()));
      m.put("blk_write_ms", round(c.blkWriteMs()));
      m.put("wal_bytes", c.walBytes());
      m.put("since_entry", r.delta().sinceEntry());
      return m;
    }).toList();
    root.put("statements", rows);
    try {
      return MAPPER.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize the statements report", e);
    }
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
