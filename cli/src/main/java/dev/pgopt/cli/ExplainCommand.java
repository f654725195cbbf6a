package dev.pgopt.cli;

import dev.pgopt.analyze.plan.ExplainReportJson;
import dev.pgopt.analyze.plan.PlanInsight;
import dev.pgopt.analyze.plan.PlanInsights;
import dev.pgopt.cli.internal.HumanPlan;
import dev.pgopt.collect.PlanCollector;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementStatisticsUnavailable;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Show a statement's plan and what in it is slow: selective sequential scans, sorts and hashes spilling "
        + "to disk, misestimates, nested loops over large inputs, ORDER BY without LIMIT, ORDER BY ... LIMIT without an "
        + "index, lossy bitmaps, distance ORDER BYs that miss an ANN index.",
        "Parameterized text ($1, as pg_stat_statements shows it) gets a generic plan. Everything runs in a read-only "
            + "transaction that is rolled back."},
    footer = {"", "Exit codes: 0 done, 3 cannot connect or the statement cannot be planned, 64 usage error or a statement "
        + "pgopt refuses (more than one, not plannable, or calling a function that must not run)."})
public final class ExplainCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Parameters(arity = "0..1", paramLabel = "SQL", description = "The statement; or use --query-id.")
  String sql;

  @Option(names = "--query-id", paramLabel = "ID", description = "Explain the statement pg_stat_statements knows by this queryid.")
  Long queryId;

  @Option(names = "--analyze", description = "Execute it (SELECT only, no parameters) with EXPLAIN ANALYZE, BUFFERS, in a "
      + "read-only transaction that is rolled back, under the statement timeout. Refused when it may call a function not "
      + "known to be free of side effects (user-defined ones, pg_terminate_backend, nextval, dblink, ...).")
  boolean analyze;

  @Mixin
  PlanningOptions planning = new PlanningOptions();

  @Option(names = "--format", defaultValue = "human", description = "human (default) or json (docs/explain-report.md).")
  String format;

  public ExplainCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    OutputFormat.check(format);
    if ((sql == null) == (queryId == null)) {
      throw new CliFailure(ExitCode.USAGE, "give the SQL text or --query-id, one of them");
    }
    if (sql != null && sql.isBlank()) {
      throw new CliFailure(ExitCode.USAGE, "the SQL text is empty");
    }
    DatabaseTarget target = connection.target(ctx);
    try (Session session = Session.open(target, connection.sessionOptions())) {
      explain(session);
      return ExitCode.OK;
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
  }

  /** Explains {@code sql} or {@code queryId} in {@code session} and prints the plan with its insights. */
  public void explain(Session session) throws DatabaseFailure {
    DatabaseTarget target = session.target();
    PlanGuard guard = planning.guard();
    PlanCollector.Explained explained = session.readOnly(c -> {
      String text = sql;
      if (queryId != null) {
        try {
          text = StatementCollector.queryText(c, queryId).orElseThrow(() -> new CliFailure(ExitCode.USAGE,
              "no statement with queryid " + queryId + " in pg_stat_statements of " + target.display()
                  + ": list them with pgopt queries --format json"));
        } catch (StatementStatisticsUnavailable e) {
          throw new CliFailure(ExitCode.UNKNOWN, e.getMessage());
        }
      }
      try {
        return PlanCollector.explain(c, guard, text, session.serverVersionNum(), analyze);
      } catch (IllegalArgumentException e) {
        throw new CliFailure(ExitCode.USAGE, e.getMessage());
      } catch (SQLException e) {
        if (e.getSQLState() != null && (e.getSQLState().equals("57014") || e.getSQLState().startsWith("08"))) {
          throw e;
        }
        throw new CliFailure(ExitCode.UNKNOWN, "the server refused the statement: " + firstLine(e.getMessage()));
      }
    });
    guard.notes().forEach(n -> ctx.err().println("pgopt: note: " + n));
    List<PlanInsight> insights = PlanInsights.of(explained.root(), explained.tables());
    if (format.equals("json")) {
      ctx.out().println(ExplainReportJson.write(explained, insights, target.display()));
    } else {
      ctx.out().print(HumanPlan.render(explained, insights, target.display()));
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    String one = s.replaceFirst("^ERROR: ", "");
    int nl = one.indexOf('\n');
    return nl < 0 ? one : one.substring(0, nl);
  }
}
