package dev.pgopt.analyze.health.checks;

import static dev.pgopt.analyze.health.ThresholdDefinition.Kind.COUNT;
import static dev.pgopt.analyze.health.ThresholdDefinition.Kind.PERCENT;

import dev.pgopt.analyze.health.CheckContext;
import dev.pgopt.analyze.health.CheckResult;
import dev.pgopt.analyze.health.HealthCheck;
import dev.pgopt.analyze.health.Status;
import dev.pgopt.analyze.health.Threshold;
import dev.pgopt.analyze.health.ThresholdDefinition;
import dev.pgopt.analyze.health.Thresholds;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Share of block reads served from shared buffers, for the database, its tables and its indexes. */
public final class CacheHitRatioCheck implements HealthCheck {
  public static final String NAME = "cache_hit_ratio";

  /** Hits and reads (from disk or the OS cache) of one scope. */
  public record Blocks(long hit, long read) {
    public long total() {
      return hit + read;
    }

    public double percent() {
      return total() == 0 ? 100 : 100.0 * hit / total();
    }
  }

  public record Facts(Blocks database, Blocks tables, Blocks indexes) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ThresholdDefinition> thresholds() {
    return List.of(
        new ThresholdDefinition("cache_hit_ratio.warning", PERCENT, "95",
            "the seeds alert below 95 %; PgHero's 99 % suits pure OLTP but flags every analytics or vector workload"),
        new ThresholdDefinition("cache_hit_ratio.critical", PERCENT, "80",
            "below 80 % (the seeds' alert level) most reads wait on storage: the working set does not fit in memory"),
        new ThresholdDefinition("cache_hit_ratio.min_blocks", COUNT, "10000",
            "below this many block accesses since the statistics reset the ratio is noise (a fresh start reads from disk)"));
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    Blocks db = Sql.one(ctx.connection(),
        "SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()",
        rs -> new Blocks(rs.getLong(1), rs.getLong(2)));
    Blocks tables = Sql.one(ctx.connection(),
        "SELECT coalesce(sum(heap_blks_hit), 0)::int8, coalesce(sum(heap_blks_read), 0)::int8 FROM pg_statio_user_tables",
        rs -> new Blocks(rs.getLong(1), rs.getLong(2)));
    Blocks indexes = Sql.one(ctx.connection(),
        "SELECT coalesce(sum(idx_blks_hit), 0)::int8, coalesce(sum(idx_blks_read), 0)::int8 FROM pg_statio_user_indexes",
        rs -> new Blocks(rs.getLong(1), rs.getLong(2)));
    return evaluate(new Facts(db, tables, indexes), ctx.thresholds());
  }

  public static CheckResult evaluate(Facts f, Thresholds t) {
    Threshold threshold = Threshold.below(t.orNull("cache_hit_ratio.warning"), t.orNull("cache_hit_ratio.critical"), "percent");
    double minBlocks = t.get("cache_hit_ratio.min_blocks").orElse(0.0);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("database", scope(f.database()));
    details.put("tables", scope(f.tables()));
    details.put("indexes", scope(f.indexes()));
    boolean tablesJudged = f.tables().total() >= minBlocks;
    boolean indexesJudged = f.indexes().total() >= minBlocks;
    if (!tablesJudged && !indexesJudged) {
      return new CheckResult(NAME, Status.OK, round(f.database().percent()), Units.percent(f.database().percent()), threshold,
          "too few block accesses yet to judge (" + Units.count(f.tables().total() + f.indexes().total())
              + " on user tables and indexes)", null, details);
    }
    double worst = Math.min(tablesJudged ? f.tables().percent() : 100, indexesJudged ? f.indexes().percent() : 100);
    Status status = threshold.statusOf(worst);
    String message = "tables " + Units.percent(f.tables().percent()) + ", indexes " + Units.percent(f.indexes().percent())
        + ", whole database " + Units.percent(f.database().percent()) + " served from shared buffers";
    String fix = status == Status.OK ? null
        : "find the statements with the most shared_blks_read in pg_stat_statements and index them, or give shared_buffers more memory";
    return new CheckResult(NAME, status, round(worst), Units.percent(worst), threshold, message, fix, details);
  }

  private static Map<String, Object> scope(Blocks b) {
    return Map.of("percent", round(b.percent()), "hit", b.hit(), "read", b.read());
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
