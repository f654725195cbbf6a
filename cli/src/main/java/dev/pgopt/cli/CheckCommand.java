package dev.pgopt.cli;

import dev.pgopt.advise.Advisor;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.FindingsJson;
import dev.pgopt.advise.rules.security.TenantIsolationRules;
import dev.pgopt.analyze.health.HealthChecker;
import dev.pgopt.analyze.health.HealthReport;
import dev.pgopt.analyze.health.HealthReportJson;
import dev.pgopt.analyze.health.ThresholdDefinition;
import dev.pgopt.analyze.health.Thresholds;
import dev.pgopt.cli.internal.HumanFindings;
import dev.pgopt.cli.internal.HumanReport;
import dev.pgopt.cli.internal.ThresholdConfig;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.SessionOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "check", sortOptions = false, mixinStandardHelpOptions = true,
    description = {"Health report for a PostgreSQL 13+ database: connections, idle transactions, long and blocked "
        + "queries, cache hit ratio, size, dead tuples, XID wraparound, sequences, replication, invalid indexes, "
        + "extensions, settings, server.", "",
        "Works with a role that has only pg_monitor; what it cannot see, it names."},
    footer = {"", "Exit codes: 0 healthy, 1 warning, 2 critical, 3 cannot connect or cannot run, 64 usage error.",
        "Thresholds and their defaults: pgopt check --list-thresholds (docs/thresholds.md explains each)."})
public final class CheckCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Option(names = "--format", defaultValue = "human", paramLabel = "FORMAT",
      description = "human (default) or json (schema: docs/check-report.md).")
  String format;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Threshold file of key = value lines (default: $PGOPT_CONFIG if set).")
  Path config;

  @Option(names = {"-t", "--threshold"}, paramLabel = "KEY=VALUE",
      description = "Override one threshold, e.g. -t connections.warning=80 -t long_running_queries.warning=30s; 'off' disables it.")
  List<String> thresholds = new ArrayList<>();

  @Option(names = "--list-thresholds", description = "Print every threshold with its default and reason, then exit.")
  boolean listThresholds;

  @Option(names = "--security", description = "The security review instead (roles, pg_hba, SSL, privileges, row-level"
      + " security of multi-tenant tables, audit): the security.* findings with their evidence and fixes"
      + " (docs/security.md). Exit codes as for health.")
  boolean security;

  @Option(names = "--tenant-columns", split = ",", paramLabel = "COLUMN,...", description = "With --security: the column"
      + " names that mark a tenant (default: tenant_id, organization_id, org_id, workspace_id, account_id, team_id, user_id).")
  List<String> tenantColumns;

  public CheckCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    OutputFormat.check(format);
    if (listThresholds) {
      for (ThresholdDefinition d : HealthChecker.standardThresholds()) {
        ctx.out().printf("%-38s %-8s %-9s %s%n", d.key(), d.defaultValue() == null ? "off" : d.defaultValue(),
            d.kind().label(), d.reason());
      }
      return ExitCode.OK;
    }
    if (security) {
      return security();
    }
    if (tenantColumns != null) {
      throw new CliFailure(ExitCode.USAGE, "--tenant-columns goes with --security");
    }
    Path file = config != null ? config : ctx.env().get("PGOPT_CONFIG").map(Path::of).orElse(null);
    Thresholds t = ThresholdConfig.apply(Thresholds.defaults(HealthChecker.standardThresholds()), file, thresholds);
    DatabaseTarget target = connection.target(ctx);
    HealthReport report = run(target, connection.sessionOptions(), t);
    print(report);
    return report.exitCode();
  }

  private int security() {
    List<String> columns = tenantColumns == null ? TenantIsolationRules.DEFAULT_COLUMNS : tenantColumns.stream()
        .map(String::strip).filter(c -> !c.isEmpty()).toList();
    for (String c : columns) {
      if (!c.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
        throw new CliFailure(ExitCode.USAGE, "--tenant-columns: '" + c + "' is not a column name");
      }
    }
    DatabaseTarget target = connection.target(ctx);
    Advisor.Advice advice;
    try (Session session = Session.open(target, connection.sessionOptions())) {
      advice = new Advisor(Advisor.securityRules(columns), ctx.clock()).run(session, Map.of(), Map.of(),
          id -> id.equals("security") || id.startsWith("security."));
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
    ctx.out().print(format.equals("json") ? FindingsJson.write(advice, target.display()) + "\n"
        : HumanFindings.render(advice, target.display(), "pgopt check --security"));
    boolean critical = advice.findings().stream().anyMatch(f -> f.severity() == Finding.Severity.CRITICAL);
    boolean warning = advice.findings().stream().anyMatch(f -> f.severity() == Finding.Severity.WARNING);
    return critical ? ExitCode.CRITICAL : warning ? ExitCode.WARNING : ExitCode.OK;
  }

  /** The check itself, as the demo and the command both run it. */
  public HealthReport run(DatabaseTarget target, SessionOptions options, Thresholds t) {
    try (Session session = Session.open(target, options)) {
      return new HealthChecker(HealthChecker.standardChecks(), ctx.clock()).run(session, t);
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
  }

  public void print(HealthReport report) {
    if (format.equals("json")) {
      ctx.out().println(HealthReportJson.write(report));
    } else {
      ctx.out().print(HumanReport.render(report, ctx.colour()));
    }
  }
}
