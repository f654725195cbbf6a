package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.IndexDefinition;
import dev.pgopt.advise.Rule;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code index.unused}: never scanned over the observation window (since the statistics were reset). Indexes that
 * back a primary key, unique or exclusion constraint, and unique indexes, are never proposed: they enforce something.
 * Replicas count their own scans; add them with --replica.
 */
public final class IndexUsageRules implements Rule {
  /** Shorter observation windows make "unused" weak evidence: the finding is then only information. */
  static final Duration MIN_OBSERVATION = Duration.ofDays(7);

  @Override
  public String id() {
    return "index.unused";
  }

  record Candidate(String schema, String table, String index, String qualifiedIndex, long scans, long bytes,
                   String definition, long tableWrites) {}

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    Timestamp reset = Sql.one(ctx.connection(),
        "SELECT coalesce(stats_reset, pg_postmaster_start_time()) FROM pg_stat_database WHERE datname = current_database()",
        rs -> rs.getTimestamp(1));
    Duration observed = Duration.between(reset.toInstant(), ctx.clock().instant());
    List<Candidate> candidates = Sql.list(ctx.connection(), """
        SELECT s.schemaname, s.relname, s.indexrelname, format('%I.%I', s.schemaname, s.indexrelname),
               s.idx_scan, pg_relation_size(s.indexrelid), pg_get_indexdef(s.indexrelid),
               coalesce(t.n_tup_ins + t.n_tup_upd + t.n_tup_del, 0)
          FROM pg_stat_user_indexes s
          JOIN pg_index i ON i.indexrelid = s.indexrelid
          JOIN pg_stat_user_tables t ON t.relid = s.relid
         WHERE s.idx_scan = 0 AND i.indisvalid AND NOT i.indisunique AND NOT i.indisprimary AND NOT i.indisexclusion
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid)
         ORDER BY pg_relation_size(s.indexrelid) DESC""",
        rs -> new Candidate(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5), rs.getLong(6),
            rs.getString(7), rs.getLong(8)));
    List<Finding> out = new ArrayList<>();
    for (Candidate c : candidates) {
      long replicaScans = ctx.replicaIndexScans().getOrDefault(c.schema() + "." + c.index(), 0L);
      if (replicaScans > 0) {
        continue;
      }
      boolean longEnough = observed.compareTo(MIN_OBSERVATION) >= 0;
      Map<String, Object> evidence = new LinkedHashMap<>();
      evidence.put("idx_scan", c.scans());
      evidence.put("observed_days", Math.round(observed.toHours() / 24.0 * 10) / 10.0);
      evidence.put("stats_reset", reset.toInstant().toString());
      evidence.put("table_writes", c.tableWrites());
      evidence.put("replicas_checked", !ctx.replicaIndexScans().isEmpty());
      Map<String, Object> impact = new LinkedHashMap<>();
      impact.put("size_bytes", c.bytes());
      impact.put("writes_that_maintain_it", c.tableWrites());
      String title = "index " + c.qualifiedIndex() + " (" + Units.bytes(c.bytes()) + ") has not been scanned in "
          + Units.seconds(observed.toSeconds()) + (ctx.replicaIndexScans().isEmpty() ? "; replicas keep their own counters (--replica)" : "");
      out.add(new Finding(id() + ":" + c.schema() + "." + c.index(), id(), longEnough && c.bytes() >= 1024 * 1024 ? Severity.WARNING : Severity.INFO,
          new DbObject(c.schema(), c.table(), c.index(), null), title, evidence, impact, Confidence.MEASURED,
          new Action(IndexDefinition.drop(c.schema(), c.index()), IndexDefinition.concurrently(c.definition()), true,
              IndexDefinition.LOCKS, longEnough ? "low" : "medium")));
    }
    return out;
  }
}
