package dev.pgopt.analyze.health;

import java.util.List;
import java.util.Map;

/**
 * The result of {@code pgopt check}. {@code status} is {@code healthy}, {@code warning} or {@code critical}: the
 * worst check status, where checks that could not run ({@code unknown}) do not count. Serialized by {@link
 * HealthReportJson} in the schema documented in docs/check-report.md.
 */
public record HealthReport(String generatedAt, String target, Map<String, Object> server, List<CheckResult> checks,
                           List<String> notes) {
  public static final int SCHEMA_VERSION = 1;

  public String status() {
    Status worst = checks.stream().map(CheckResult::status).filter(s -> s != Status.UNKNOWN).reduce(Status.OK, Status::worst);
    return switch (worst) {
      case CRITICAL -> "critical";
      case WARNING -> "warning";
      default -> "healthy";
    };
  }

  /** Monitoring-plugin convention: 0 healthy, 1 warning, 2 critical. */
  public int exitCode() {
    return switch (status()) {
      case "critical" -> 2;
      case "warning" -> 1;
      default -> 0;
    };
  }

  public CheckResult check(String name) {
    return checks.stream().filter(c -> c.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no check named " + name));
  }
}
