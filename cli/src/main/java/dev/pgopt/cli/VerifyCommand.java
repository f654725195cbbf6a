package dev.pgopt.cli;

import dev.pgopt.apply.AuditLog;
import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.collect.StatementStatisticsUnavailable;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import dev.pgopt.verify.Verifier;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Measure what applied actions achieved: for the statements each should help, mean time and blocks read "
        + "per call since it was applied against before (pg_stat_statements deltas). Recommends the undo when there is no gain."},
    footer = {"", "Exit codes: 0 done, 3 cannot connect or run, 64 usage error."})
public final class VerifyCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Option(names = "--all", description = "Verify every applied action again, not only those not verified yet.")
  boolean all;

  public VerifyCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    DatabaseTarget target = connection.target(ctx);
    try (Session session = Session.open(target, connection.sessionOptions())) {
      List<AuditLog.Entry> entries = session.readOnly(c -> AuditLog.exists(c) ? AuditLog.list(c) : List.of());
      List<AuditLog.Entry> todo = entries.stream().filter(e -> e.status().equals("succeeded") && e.statementsBefore() != null
          && (all || e.verifiedAt() == null)).toList();
      if (todo.isEmpty()) {
        ctx.out().println(entries.isEmpty() ? "Nothing applied yet in this database (pgopt.actions is empty)."
            : "Nothing to verify: no applied action with statement statistics" + (all ? "" : " waits for verification (--all re-checks)") + ".");
        return ExitCode.OK;
      }
      StatementSnapshot now = session.readOnly(c -> {
        try {
          return StatementCollector.read(c, session.serverVersionNum(), ctx.clock());
        } catch (StatementStatisticsUnavailable e) {
          throw new CliFailure(ExitCode.UNKNOWN, e.getMessage());
        }
      });
      try (Connection write = Connections.open(target, connection.sessionOptions())) {
        for (AuditLog.Entry e : todo) {
          Verifier.Verification v = Verifier.verify(e, now);
          ctx.out().println((v.verdict().equals("improved") ? "  ✔ " : v.verdict().equals("no_gain") ? "  ✖ " : "  … ")
              + e.findingId() + ": " + v.message());
          for (Verifier.StatementResult s : v.statements()) {
            ctx.out().printf(Locale.ROOT, "      queryid %d: %.2f ms → %s per call over %d calls, blocks read %.1f → %s%n", s.queryId(),
                s.meanMsBefore(), Double.isNaN(s.meanMsAfter()) ? "-" : String.format(Locale.ROOT, "%.2f ms", s.meanMsAfter()),
                s.callsSince(), s.blocksReadPerCallBefore(),
                Double.isNaN(s.blocksReadPerCallAfter()) ? "-" : String.format(Locale.ROOT, "%.1f", s.blocksReadPerCallAfter()));
          }
          if (!v.verdict().equals("too_early")) {
            AuditLog.verified(write, e.id(), Verifier.json(v));
          }
        }
      } catch (SQLException e) {
        throw new CliFailure(ExitCode.UNKNOWN, "cannot record the verification in pgopt.actions: " + e.getMessage(), e);
      }
      return ExitCode.OK;
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
  }
}
