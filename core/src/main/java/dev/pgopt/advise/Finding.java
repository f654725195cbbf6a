package dev.pgopt.advise;

import java.util.List;
import java.util.Map;

/**
 * One piece of advice, always with its evidence. {@code id} is stable across runs for the same rule and object, so
 * {@code pgopt apply} can select it.
 *
 * @param evidence the numbers that triggered the rule
 * @param impact what acting on it changes (e.g. size_bytes, est_ms_saved_per_hour)
 * @param action what to run, or null for advice that is not a single statement
 */
public record Finding(String id, String rule, Severity severity, DbObject object, String title, Map<String, Object> evidence,
                      Map<String, Object> impact, Confidence confidence, Action action) {

  public enum Severity { CRITICAL, WARNING, INFO;
    public String json() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** How the advice was established: measured from statistics, proven with hypothetical indexes, or estimated. */
  public enum Confidence { MEASURED, WHAT_IF, HEURISTIC;
    public String json() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  /** What the finding is about. {@code index} and {@code columns} may be null. */
  public record DbObject(String schema, String table, String index, List<String> columns) {
    public static DbObject table(String schema, String table) {
      return new DbObject(schema, table, null, null);
    }
  }

  /**
   * @param sql the statement(s) to run, with every identifier quoted
   * @param undoSql what reverses it, or null when nothing can
   * @param online whether it runs without blocking reads and writes for long (e.g. CONCURRENTLY)
   * @param locks the lock it takes, as PostgreSQL names it
   * @param risk low, medium or high
   */
  public record Action(String sql, String undoSql, boolean online, String locks, String risk) {}

  /** Whether this finding is {@code id}, or took it in when findings proposing the same index were merged. */
  public boolean answersTo(String id) {
    if (this.id.equals(id)) {
      return true;
    }
    return evidence.get("also") instanceof List<?> also
        && also.stream().anyMatch(a -> a instanceof Map<?, ?> m && id.equals(m.get("id")));
  }
}
