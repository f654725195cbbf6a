package dev.pgopt.monitor.internal.http;

import static dev.pgopt.monitor.internal.http.RequestParams.duration;
import static dev.pgopt.monitor.internal.http.RequestParams.intParam;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.analyze.plan.ExplainReportJson;
import dev.pgopt.analyze.plan.PlanInsights;
import dev.pgopt.analyze.workload.StatementDelta;
import dev.pgopt.analyze.workload.WorkloadWindow;
import dev.pgopt.collect.PlanCollector;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementStatisticsUnavailable;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.monitor.internal.MonitorCore;
import dev.pgopt.monitor.internal.TargetRuntime;
import dev.pgopt.monitor.internal.collect.Derivations;
import dev.pgopt.monitor.internal.collect.SlowSnapshot;
import dev.pgopt.monitor.internal.store.HistoryReads;
import dev.pgopt.monitor.internal.store.StoreUnavailableException;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A target's statements: rankings from the history, their mean time over time, unused indexes, EXPLAIN. */
final class QueryEndpoints {
  private static final int MAX_SQL = 20_000;

  record QueryRow(String queryid, String query, String role, long calls, double totalMs, double meanMs, long rows,
      Double hitPercent, long tempBlocks) {
    static QueryRow of(HistoryReads.StatementTotals s) {
      long blocks = s.blocksHit() + s.blocksRead();
      return new QueryRow(Long.toString(s.queryId()), s.query(), s.role(), s.calls(), s.totalMs(), s.meanMs(), s.rows(),
          blocks == 0 ? null : 100.0 * s.blocksHit() / blocks, s.tempBlocks());
    }
  }

  record Ranking(String target, String type, long rangeSeconds, String source, List<QueryRow> queries) {}

  record UnusedIndexes(String target, String type, Instant collectedAt, String note, List<SlowSnapshot.IndexRow> indexes) {}

  record MeanHistory(String target, String metric, Map<String, List<HistoryReads.Point>> series) {}

  private final MonitorCore core;

  QueryEndpoints(MonitorCore core) {
    this.core = core;
  }

  Object queries(Context ctx) throws StoreUnavailableException {
    TargetRuntime rt = RequestParams.target(core, ctx);
    String type = Optional.ofNullable(ctx.queryParam("type")).orElse("usage");
    int limit = intParam(ctx, "limit", 20, 1, 500);
    Duration range = duration(ctx, "range", Duration.ofHours(1));
    Instant to = core.clock().instant();
    return switch (type) {
      case "slow", "usage" -> {
        String order = type.equals("slow") ? "mean_ms" : "total_ms";
        List<HistoryReads.StatementTotals> rows;
        String source = "history";
        try {
          rows = core.store().read(c -> HistoryReads.topStatements(c, rt.name(), to.minus(range), to.plusSeconds(1), order, limit));
        } catch (StoreUnavailableException e) {
          rows = fromWindow(rt.latestWindow(), order, limit);
          source = "latest window (history store unavailable: " + e.getMessage() + ")";
        }
        yield new Ranking(rt.name(), type, range.toSeconds(), source, rows.stream().map(QueryRow::of).toList());
      }
      case "unused" -> {
        SlowSnapshot slow = rt.latestSlow();
        if (slow == null) {
          throw new ApiError(503, "no table statistics collected from " + rt.name() + " yet; retry after the first statements interval");
        }
        yield new UnusedIndexes(rt.name(), type, slow.takenAt(),
            "idx_scan = 0 since the statistics were last reset; unique and constraint indexes are never listed. "
                + "Check replicas before dropping (pgopt advise --replica).",
            slow.indexes().stream().filter(i -> i.scans() == 0 && !i.unique() && !i.constraint() && i.valid())
                .sorted(Comparator.comparingLong(SlowSnapshot.IndexRow::bytes).reversed()).limit(limit).toList());
      }
      default -> throw new ApiError(400, "type must be slow, usage or unused, not '" + type + "'");
    };
  }

  /** The ranking from the last collected window, when the history store cannot answer. */
  private static List<HistoryReads.StatementTotals> fromWindow(WorkloadWindow w, String order, int limit) {
    if (w == null) {
      return List.of();
    }
    Comparator<HistoryReads.StatementTotals> cmp = order.equals("mean_ms")
        ? Comparator.comparingDouble(HistoryReads.StatementTotals::meanMs) : Comparator.comparingDouble(HistoryReads.StatementTotals::totalMs);
    List<HistoryReads.StatementTotals> out = new ArrayList<>();
    for (StatementDelta d : Derivations.workload(w.deltas())) {
      var k = d.counters();
      if (k.calls() > 0) {
        out.add(new HistoryReads.StatementTotals(d.entry().queryId(), d.entry().query(), d.entry().user(), k.calls(),
            k.totalExecMs(), k.rows(), k.sharedBlksHit(), k.sharedBlksRead(), k.tempBlks()));
      }
    }
    return out.stream().sorted(cmp.reversed()).limit(limit).toList();
  }

  MeanHistory queryHistory(Context ctx) throws StoreUnavailableException {
    TargetRuntime rt = RequestParams.target(core, ctx);
    String ids = Optional.ofNullable(ctx.queryParam("ids")).orElse("");
    List<Long> queryIds = new ArrayList<>();
    for (String s : ids.split(",")) {
      if (s.isBlank()) {
        continue;
      }
      try {
        queryIds.add(Long.parseLong(s.strip()));
      } catch (NumberFormatException e) {
        throw new ApiError(400, "ids must be comma-separated query ids, not '" + s + "'");
      }
    }
    if (queryIds.size() > 100) {
      throw new ApiError(400, "at most 100 ids per request");
    }
    Duration range = duration(ctx, "range", Duration.ofHours(24));
    Duration step = duration(ctx, "step", Duration.ofSeconds(Math.max(300, range.toSeconds() / 48)));
    Instant to = core.clock().instant();
    Map<Long, List<HistoryReads.Point>> series = core.store().read(c ->
        HistoryReads.statementMeans(c, rt.name(), queryIds, to.minus(range), to.plusSeconds(1), step));
    Map<String, List<HistoryReads.Point>> out = new LinkedHashMap<>();
    series.forEach((k, v) -> out.put(Long.toString(k), v));
    return new MeanHistory(rt.name(), "mean_ms", out);
  }

  String explain(Context ctx, JsonNode body) throws DatabaseFailure {
    TargetRuntime rt = RequestParams.target(core, ctx);
    JsonNode sqlNode = body.path("sql");
    JsonNode idNode = body.path("queryid");
    if (sqlNode.isMissingNode() == idNode.isMissingNode()) {
      throw new ApiError(400, "send exactly one of {\"sql\": \"SELECT ...\"} or {\"queryid\": \"123\"}");
    }
    ctx.attribute("pgopt.audit", sqlNode.isMissingNode() ? "explain queryid " + idNode.asText() : "explain sql");
    return rt.worker().useSession(s -> s.readOnly(c -> {
      String sql;
      if (!sqlNode.isMissingNode()) {
        if (!sqlNode.isTextual() || sqlNode.asText().isBlank()) {
          throw new ApiError(400, "sql must be a non-empty string");
        }
        sql = sqlNode.asText();
      } else {
        long id;
        try {
          id = Long.parseLong(idNode.asText());
        } catch (NumberFormatException e) {
          throw new ApiError(400, "queryid must be a number (as a string or integer)");
        }
        try {
          sql = StatementCollector.queryText(c, id).orElseThrow(() -> new ApiError(404, "no statement with queryid " + id
              + " in pg_stat_statements of " + rt.name()));
        } catch (StatementStatisticsUnavailable e) {
          throw new ApiError(409, e.getMessage());
        }
      }
      if (sql.length() > MAX_SQL) {
        throw new ApiError(400, "sql is longer than " + MAX_SQL + " characters");
      }
      try {
        PlanCollector.Explained e = PlanCollector.explain(c, PlanGuard.of(rt.config().allowUserFunctions()), sql,
            s.serverVersionNum(), false);
        return ExplainReportJson.write(e, PlanInsights.of(e.root(), e.tables()), rt.database().display());
      } catch (IllegalArgumentException e) {
        throw new ApiError(400, e.getMessage());
      } catch (SQLException e) {
        if (e.getSQLState() != null && (e.getSQLState().equals("57014") || e.getSQLState().startsWith("08"))) {
          throw e;
        }
        throw new ApiError(422, "the server could not plan the statement: " + firstLine(e.getMessage()));
      }
    }));
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
