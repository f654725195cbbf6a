package dev.pgopt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.apply.AuditLog;
import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.collect.StatementStatisticsUnavailable;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import dev.pgopt.verify.Verifier;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    footer = {"", "With --bench BEFORE.json (a `pgopt bench --format json` report made before applying), it also runs the same "
        + "bench again now and compares, per statement, naming the statements each action should help.",
        "", "Exit codes: 0 done, 3 cannot connect or run, 64 usage error."})
public final class VerifyCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Option(names = "--all", description = "Verify every applied action again, not only those not verified yet.")
  boolean all;

  @Option(names = "--bench", paramLabel = "BEFORE.json", description = "Also measure under load: run pgopt bench again"
      + " with the rate, duration, clients and seed recorded in this report from before the change, and compare.")
  Path bench;

  @Option(names = "--bench-save", paramLabel = "AFTER.json", description = "Keep the report of the run --bench makes.")
  Path benchSave;

  public VerifyCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    DatabaseTarget target = connection.target(ctx);
    if (benchSave != null && bench == null) {
      throw new CliFailure(ExitCode.USAGE, "--bench-save keeps the report --bench makes: give --bench BEFORE.json too");
    }
    JsonNode comparison = bench == null ? null : underLoad();
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
          if (comparison != null) {
            underLoad(e, comparison);
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

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Runs the bench BEFORE.json describes again (its recorded options, this command's connection), prints the
   * comparison and returns it as JSON. Only a plain workload run at one rate can be repeated this way: a script, stage,
   * search or client run names things the report does not keep.
   */
  private JsonNode underLoad() {
    JsonNode options;
    try {
      if (!Files.isRegularFile(bench) || Files.size(bench) > 64L * 1024 * 1024) {
        throw new CliFailure(ExitCode.USAGE, "--bench " + bench + ": no such report (write one before the change with"
            + " pgopt bench --format json > before.json)");
      }
      options = JSON.readTree(Files.readString(bench)).path("options");
    } catch (IOException e) {
      throw new CliFailure(ExitCode.USAGE, "--bench " + bench + ": not a pgopt bench JSON report ("
          + e.getMessage().lines().findFirst().orElse("") + ")");
    }
    if (!options.path("rate").isNumber() || !options.path("clients").isInt()) {
      throw new CliFailure(ExitCode.USAGE, "--bench " + bench + ": the report does not record its options (made by an"
          + " older pgopt, or not by pgopt bench): run pgopt bench again before a change, or compare with pgopt bench compare");
    }
    for (String kind : List.of("find_max", "stages", "through_client", "include_writes")) {
      if (options.path(kind).asBoolean()) {
        throw new CliFailure(ExitCode.USAGE, "--bench " + bench + ": a " + kind.replace('_', ' ') + " run cannot be"
            + " repeated from its report; run the same pgopt bench again and use pgopt bench compare");
      }
    }
    if (options.path("scripts").asInt() > 0) {
      throw new CliFailure(ExitCode.USAGE, "--bench " + bench + ": a --script run cannot be repeated from its report (it"
          + " keeps no script text); run the same pgopt bench again and use pgopt bench compare");
    }
    ByteArrayOutputStream report = new ByteArrayOutputStream();
    BenchCommand again = new BenchCommand(new Context(ctx.env(), new PrintStream(report, true, StandardCharsets.UTF_8),
        new PrintStream(java.io.OutputStream.nullOutputStream()), ctx.clock(), false));
    again.connection = connection;
    again.rate = options.path("rate").asText() + "/s";
    again.duration = options.path("duration_seconds").asDouble() + "s";
    again.warmup = options.path("warmup_seconds").asDouble() + "s";
    again.drain = options.path("drain_seconds").asDouble(30) + "s";
    again.clients = options.path("clients").asInt();
    again.top = options.path("top").asInt(20);
    again.seed = options.path("seed").asLong(1);
    again.arrivals = options.path("arrivals").asText("poisson");
    again.repeat = options.path("repeat").asInt(1);
    again.prepareThreshold = options.path("prepare_threshold").asInt(5);
    again.sampleWorkload = options.path("sample_workload").asBoolean();
    again.format = "json";
    ctx.err().printf(java.util.Locale.ROOT, "pgopt verify: running the bench of %s again: %s/s for %s s, %d clients%s%n",
        bench, again.rate.replace("/s", ""), options.path("duration_seconds").asText(), again.clients,
        again.repeat > 1 ? ", " + again.repeat + " runs" : "");
    again.call();
    Path after = benchSave;
    try {
      if (after == null) {
        after = Files.createTempFile("pgopt-verify-", ".json");
      }
      Files.write(after, report.toByteArray());
      BenchCompareCommand human = new BenchCompareCommand(ctx);
      human.before = bench;
      human.after = after;
      human.format = "human";
      ctx.out().println("Under load (pgopt bench, the same options as " + bench + "):");
      human.call();
      ctx.out().println();
      ByteArrayOutputStream json = new ByteArrayOutputStream();
      BenchCompareCommand machine = new BenchCompareCommand(new Context(ctx.env(),
          new PrintStream(json, true, StandardCharsets.UTF_8), ctx.err(), ctx.clock(), false));
      machine.before = bench;
      machine.after = after;
      machine.format = "json";
      machine.call();
      return JSON.readTree(json.toString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new CliFailure(ExitCode.UNKNOWN, "--bench: cannot write the run's report (" + e.getMessage() + ")", e);
    } finally {
      if (benchSave == null && after != null) {
        try {
          Files.deleteIfExists(after);
        } catch (IOException ignored) {
          // a temporary file
        }
      }
    }
  }

  /** The p95 under load, before and after, of the statements {@code e} should help. */
  private void underLoad(AuditLog.Entry e, JsonNode comparison) {
    JsonNode before;
    try {
      before = JSON.readTree(e.statementsBefore());
    } catch (IOException ex) {
      return;
    }
    for (JsonNode s : comparison.path("statements")) {
      if (before.has(s.path("query_id").asText())) {
        JsonNode p95 = s.path("p95");
        ctx.out().printf(java.util.Locale.ROOT, "      under load, queryid %s: p95 %s → %s ms (%s)%n", s.path("query_id").asText(),
            median(p95.path("before")), median(p95.path("after")), p95.path("verdict").asText());
      }
    }
  }

  private static String median(JsonNode values) {
    List<Double> v = new java.util.ArrayList<>();
    values.forEach(x -> v.add(x.asDouble()));
    if (v.isEmpty()) {
      return "-";
    }
    v.sort(null);
    double m = v.size() % 2 == 1 ? v.get(v.size() / 2) : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2;
    return String.format(java.util.Locale.ROOT, "%.2f", m);
  }
}
