package dev.pgopt.analyze.health;

import java.sql.SQLException;
import java.util.List;

/** One check of the health report. Implementations read catalogs in {@link #run} and must not write. */
public interface HealthCheck {
  /** The stable name used in JSON output, e.g. {@code connections}. */
  String name();

  /** The thresholds this check reads; their keys start with {@code name() + "."}. */
  default List<ThresholdDefinition> thresholds() {
    return List.of();
  }

  CheckResult run(CheckContext context) throws SQLException;
}
