package dev.pgopt.monitor.internal.collect;

import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.StatementRefused;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.monitor.MonitorConfig;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one custom metric's query on one target: one statement that the plan guard admits (no statement after a ';',
 * no user-defined function unless the target allows them), in a read-only transaction, under the metric's own
 * statement timeout, reading at most {@code max_series + 1} rows.
 */
public final class CustomMetricQuery {
  /** One series: its label values (in the configured order) and its value. */
  public record Row(Map<String, String> labels, double value) {}

  /** Why a collection gave no series; {@code reason} is the error counter's label. */
  public static final class Failed extends Exception {
    private static final long serialVersionUID = 1L;
    private final String reason;

    Failed(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }
  }

  private final MonitorConfig.CustomMetric metric;
  private final PlanGuard guard;

  public CustomMetricQuery(MonitorConfig.CustomMetric metric, boolean allowUserFunctions) {
    this.metric = metric;
    this.guard = PlanGuard.of(allowUserFunctions);
  }

  public MonitorConfig.CustomMetric metric() {
    return metric;
  }

  public List<Row> run(TargetCollector collector) throws Failed {
    try {
      return collector.useSession(s -> s.readOnly(c -> {
        String sql;
        try {
          sql = guard.admit(c, metric.query(), true);
        } catch (StatementRefused e) {
          throw new SQLException(new Failed("refused", "query refused: " + e.getMessage()));
        }
        try (PreparedStatement set = c.prepareStatement("SELECT set_config('statement_timeout', ?, true)")) {
          set.setString(1, metric.timeout().toMillis() + "ms");
          set.execute();
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setMaxRows(metric.maxSeries() + 1);
          try (ResultSet rs = ps.executeQuery()) {
            return read(rs);
          }
        }
      }));
    } catch (DatabaseFailure e) {
      Throwable cause = e.getCause();
      while (cause != null && !(cause instanceof Failed)) {
        cause = cause.getCause();
      }
      if (cause instanceof Failed f) {
        throw f;
      }
      throw new Failed(e.kind() == DatabaseFailure.Kind.STATEMENT_TIMEOUT ? "timeout" : "error",
          (e.kind() == DatabaseFailure.Kind.STATEMENT_TIMEOUT ? "cut off after " + metric.timeout().toMillis() + " ms: " : "")
              + e.getMessage());
    }
  }

  private List<Row> read(ResultSet rs) throws SQLException {
    ResultSetMetaData meta = rs.getMetaData();
    Map<String, Integer> columns = new LinkedHashMap<>();
    for (int i = 1; i <= meta.getColumnCount(); i++) {
      columns.put(meta.getColumnLabel(i), i);
    }
    if (!columns.containsKey("value")) {
      throw new SQLException(new Failed("error", "the query returns no column named value (columns: "
          + String.join(", ", columns.keySet()) + ")"));
    }
    for (String label : metric.labels()) {
      if (!columns.containsKey(label)) {
        throw new SQLException(new Failed("error", "the query returns no column " + label + " for the label of that name"));
      }
    }
    List<Row> rows = new ArrayList<>();
    while (rs.next()) {
      if (rows.size() == metric.maxSeries()) {
        throw new SQLException(new Failed("cardinality", "more than " + metric.maxSeries() + " series (max_series):"
            + " none kept; aggregate in the query or raise max_series"));
      }
      double value;
      try {
        value = rs.getDouble(columns.get("value"));
      } catch (SQLException notNumber) {
        throw new SQLException(new Failed("error", "the value column is not a number"));
      }
      if (rs.wasNull()) {
        continue;
      }
      Map<String, String> labels = new LinkedHashMap<>();
      for (String label : metric.labels()) {
        String v = rs.getString(columns.get(label));
        labels.put(label, v == null ? "" : v);
      }
      rows.add(new Row(labels, value));
    }
    return rows;
  }
}
