package dev.pgopt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.cli.internal.ClientSetup;
import dev.pgopt.cli.internal.LatencyPlot;
import dev.pgopt.collect.StatementStatisticsUnavailable;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.Sql;
import dev.pgopt.load.BenchScript;
import dev.pgopt.load.LoadOptions;
import dev.pgopt.load.LoadResult;
import dev.pgopt.load.LoadRun;
import dev.pgopt.load.WorkloadMix;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Replays the database's own read workload (pg_stat_statements: the most called statements, by their "
        + "share of calls, with parameter values drawn from the columns' statistics) at a fixed arrival rate, and "
        + "reports latency from when each request was due (coordinated omission corrected), service time and schedule lag.",
        "With --find-max and --p95, raises the rate until the objective fails and reports the highest rate that held. "
            + "Sessions are read-only; the database's own writes are never replayed. --script and --sample-workload "
            + "run other mixes (docs/bench.md)."},
    footer = {"", "Exit codes: 0 done (objective met, when one is given), 1 objective not met, 3 cannot connect or no "
        + "statement to replay, 64 usage error."})
public final class BenchCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Option(names = "--rate", defaultValue = "100/s", paramLabel = "N/s",
      description = "Requests started per second, whatever the server does (default: ${DEFAULT-VALUE}); with --find-max, the first rate tried.")
  String rate;

  @Option(names = "--duration", defaultValue = "30s", paramLabel = "DURATION", description = "Measured time per run (default: ${DEFAULT-VALUE}).")
  String duration;

  @Option(names = "--warmup", defaultValue = "5s", paramLabel = "DURATION", description = "Unmeasured time before it (default: ${DEFAULT-VALUE}).")
  String warmup;

  @Option(names = "--clients", defaultValue = "8", description = "Connections serving the requests (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--top", defaultValue = "20", description = "Replay the N most called read statements (default: ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--p95", paramLabel = "DURATION", description = "Latency objective for p95, e.g. 20ms: the run passes when p95 is at most this, nothing failed and every due request was sent.")
  String p95;

  @Option(names = "--find-max", description = "Search for the highest rate meeting --p95: double the rate until it fails, then halve the gap 4 times.")
  boolean findMax;

  @Option(names = "--drain", defaultValue = "30s", paramLabel = "DURATION",
      description = "How long requests still waiting when the schedule ends may take before they are counted as not sent (default: ${DEFAULT-VALUE}).")
  String drain;

  @Option(names = "--arrivals", defaultValue = "poisson", paramLabel = "KIND",
      description = "poisson (default: independent users, exponential gaps, as pgbench -R) or uniform (evenly spaced).")
  String arrivals;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the statement and value draws (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--repeat", defaultValue = "1",
      description = "Run the same rate N times (seeds differ) and report each; bench compare then judges differences against the spread (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--stages", paramLabel = "RATE:DURATION,...",
      description = "Runs one after another at each rate for its duration, e.g. 100/s:30s,500/s:60s (no warm-up between them).")
  String stages;

  @Option(names = "--plot", paramLabel = "FILE.png", description = "Write the run second by second (latency percentiles,"
      + " requests sent) as a PNG, and its statements' latency beside it (FILE-statements.png).")
  Path plot;

  @Option(names = "--hdr-log", paramLabel = "FILE", description = "Write each second's latency histogram in HdrHistogram's interval log format.")
  Path hdrLog;

  @Option(names = "--format", defaultValue = "human", description = "human (default) or json (docs/bench.md).")
  String format;

  @Option(names = "--script", paramLabel = "FILE[@WEIGHT]", description = "Run a pgbench-style script instead of the"
      + " workload: \\set lines, then one read statement using :variables (repeatable; @WEIGHT sets its share).")
  List<String> scripts = new ArrayList<>();

  @Option(names = "--sample-workload", description = "Run the sample dataset's workload (pgopt sample load; docs/sample-dataset.md)"
      + " instead of the database's own: its read statements by their default weights, values drawn from the loaded"
      + " rows with the same skew as pgopt sample workload; its writes too with --include-writes.")
  boolean sampleWorkload;

  @Option(names = "--include-writes", description = "Let --script (or --sample-workload) run INSERT, UPDATE, DELETE and"
      + " MERGE, on sessions that may write: only with --disposable-database naming the database connected to.")
  boolean includeWrites;

  @Option(names = "--disposable-database", paramLabel = "NAME", description = "The database --include-writes may change:"
      + " it must be the one --url connects to, so a run against another database refuses to start.")
  String disposable;

  @Option(names = "--prepare-threshold", defaultValue = "5", paramLabel = "N", description = "pgjdbc's prepareThreshold"
      + " for the run's own sessions (default: ${DEFAULT-VALUE}, pgjdbc's own, as an application: from the 5th execution a"
      + " statement is prepared on the server, and PostgreSQL may then reuse one generic plan for all values); 0 plans"
      + " every execution with its values. pgopt-client's sessions keep pgjdbc's default.")
  int prepareThreshold;

  @Option(names = "--through-client", description = "Send the requests through pgopt-client (PgoptDataSource: a HikariCP"
      + " pool of --clients sessions per server, reads routed to --replica servers within the lag limit), as an"
      + " application built on it does, instead of through the run's own sessions.")
  boolean throughClient;

  @Option(names = "--replica", paramLabel = "URL", description = "A streaming replica the reads may go to (repeatable;"
      + " implies --through-client).")
  List<String> replicas = new ArrayList<>();

  @Option(names = "--cache", paramLabel = "memory|REDIS_URL", description = "Answer a request whose statement and values"
      + " were seen within --cache-ttl from pgopt-client's QueryCache: in process (memory), or with Redis as its second"
      + " tier (redis://host:6379/0); implies --through-client.")
  String cache;

  @Option(names = "--cache-ttl", defaultValue = "60s", paramLabel = "DURATION",
      description = "How long a cached answer is served (default: ${DEFAULT-VALUE}).")
  String cacheTtl;

  @Option(names = {"-D", "--define"}, paramLabel = "NAME=VALUE", description = "An integer variable for --script (repeatable), as pgbench -D.")
  List<String> defines = new ArrayList<>();

  public BenchCommand(Context ctx) {
    this.ctx = ctx;
  }

  record Step(double rate, boolean met, LoadResult result) {}

  private WorkloadMix workload(DatabaseTarget target) {
    try (Session session = Session.open(target, connection.sessionOptions())) {
      return session.readOnly(c -> {
        try {
          return WorkloadMix.fromStatistics(c, session.serverVersionNum(), top);
        } catch (StatementStatisticsUnavailable e) {
          throw new CliFailure(ExitCode.UNKNOWN, e.getMessage() + " (database " + target.display() + ")");
        } catch (IllegalStateException e) {
          throw new CliFailure(ExitCode.UNKNOWN, e.getMessage() + " (database " + target.display() + ")");
        }
      });
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
  }

  /** The sample workload's statements (reads only, unless --include-writes), values drawn from the rows there. */
  private WorkloadMix sample(DatabaseTarget target) {
    try (Session session = Session.open(target, connection.sessionOptions())) {
      List<dev.pgopt.sample.Workload.Statement> all = session.readOnly(c -> {
        if (!Sql.one(c, "SELECT to_regclass('public.messages') IS NOT NULL AND to_regclass('public.repositories') IS NOT NULL",
            rs -> rs.getBoolean(1))) {
          throw new CliFailure(ExitCode.UNKNOWN, "--sample-workload: " + target.display() + " has no sample dataset;"
              + " load one with pgopt sample load");
        }
        return dev.pgopt.sample.Workload.forReplay(c);
      });
      return WorkloadMix.fromGiven(all.stream().filter(st -> includeWrites || !st.writes())
          .map(st -> new WorkloadMix.Given(st.sql(), st.weight(), st.values())).toList());
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
  }

  /** {@code run.png} -> {@code run-statements.png}, beside it. */
  static Path statementsPlot(Path plot) {
    String name = plot.getFileName().toString();
    int dot = name.toLowerCase(Locale.ROOT).endsWith(".png") ? name.length() - 4 : name.length();
    return plot.resolveSibling(name.substring(0, dot) + "-statements.png");
  }

  /** Reads each FILE[@WEIGHT]; a file that cannot be read or parsed is one line (exit 64) naming the file and line. */
  static List<BenchScript> scripts(List<String> specs, List<String> defines, boolean writes) {
    java.util.Map<String, Long> defined = new java.util.LinkedHashMap<>();
    for (String d : defines) {
      int eq = d.indexOf('=');
      String name = eq < 0 ? d : d.substring(0, eq);
      if (eq < 0 || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw new CliFailure(ExitCode.USAGE, "--define " + d + ": write NAME=VALUE, e.g. --define scale=10");
      }
      try {
        defined.put(name, Long.parseLong(d.substring(eq + 1).strip()));
      } catch (NumberFormatException e) {
        throw new CliFailure(ExitCode.USAGE, "--define " + d + ": the value must be an integer");
      }
    }
    List<BenchScript> out = new ArrayList<>();
    for (String spec : specs) {
      int at = spec.lastIndexOf('@');
      String file = at < 0 ? spec : spec.substring(0, at);
      double weight = 1;
      if (at >= 0) {
        try {
          weight = Double.parseDouble(spec.substring(at + 1));
        } catch (NumberFormatException e) {
          throw new CliFailure(ExitCode.USAGE, "--script " + spec + ": the weight after @ must be a number");
        }
      }
      Path path = Path.of(file);
      String text;
      try {
        if (java.nio.file.Files.size(path) > 1 << 20) {
          throw new CliFailure(ExitCode.USAGE, "--script " + file + ": larger than 1 MB, not a script");
        }
        text = java.nio.file.Files.readString(path);
      } catch (java.nio.charset.MalformedInputException e) {
        throw new CliFailure(ExitCode.USAGE, "--script " + file + ": not UTF-8 text");
      } catch (java.io.IOException e) {
        throw new CliFailure(ExitCode.USAGE, "--script " + file + ": cannot read it (" + e.getClass().getSimpleName()
            + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
      }
      try {
        out.add(BenchScript.parse(file, weight, text, defined, writes));
      } catch (IllegalArgumentException e) {
        throw new CliFailure(ExitCode.USAGE, "--script " + e.getMessage());
      }
    }
    return out;
  }


  @Override
  public Integer call() {
    OutputFormat.check(format);
    if (top < 1 || top > 500) {
      throw new CliFailure(ExitCode.USAGE, "--top must be between 1 and 500");
    }
    if (prepareThreshold < 0) {
      throw new CliFailure(ExitCode.USAGE, "--prepare-threshold must be 0 or more (0: never prepare on the server)");
    }
    if (repeat < 1 || repeat > 20) {
      throw new CliFailure(ExitCode.USAGE, "--repeat must be between 1 and 20");
    }
    if (findMax && repeat > 1) {
      throw new CliFailure(ExitCode.USAGE, "use --repeat or --find-max, not both");
    }
    if (stages != null && (findMax || repeat > 1)) {
      throw new CliFailure(ExitCode.USAGE, "--stages runs its own rates: not with --find-max or --repeat");
    }
    List<double[]> stageList = stages == null ? List.of() : stages(stages);
    if (findMax && p95 == null) {
      throw new CliFailure(ExitCode.USAGE, "--find-max needs a latency objective: --p95 20ms, say");
    }
    double firstRate = rate(rate);
    Duration measured = ConnectionOptions.duration(duration, "--duration");
    Duration warm = zeroOrMore(warmup, "--warmup");
    Duration drainLimit = ConnectionOptions.duration(drain, "--drain");
    Double objectiveMs = p95 == null ? null : objective(p95);
    LoadOptions first;
    try {
      first = new LoadOptions(firstRate, measured, warm, clients, drainLimit, seed, arrivals(arrivals));
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCode.USAGE, e.getMessage());
    }
    DatabaseTarget target = connection.target(ctx);
    if (sampleWorkload && !scripts.isEmpty()) {
      throw new CliFailure(ExitCode.USAGE, "use --script or --sample-workload, not both");
    }
    if (includeWrites) {
      if (scripts.isEmpty() && !sampleWorkload) {
        throw new CliFailure(ExitCode.USAGE, "--include-writes runs the writes of --script files or --sample-workload; the"
            + " database's own writes are never replayed (their values would collide with the rows already there)");
      }
      if (disposable == null || !disposable.equals(target.database())) {
        throw new CliFailure(ExitCode.USAGE, "--include-writes changes rows: name the database it may change with"
            + " --disposable-database " + target.database() + (disposable == null ? "" : " (not " + disposable + ")")
            + ", and only if it is a copy you can lose");
      }
    } else if (disposable != null) {
      throw new CliFailure(ExitCode.USAGE, "--disposable-database goes with --include-writes");
    }
    WorkloadMix mix = sampleWorkload ? sample(target)
        : scripts.isEmpty() ? workload(target) : WorkloadMix.fromScripts(scripts(scripts, defines, includeWrites));
    java.io.PrintStream logOut = null;
    if (hdrLog != null) {
      try {
        logOut = new java.io.PrintStream(java.nio.file.Files.newOutputStream(hdrLog), true, java.nio.charset.StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        throw new CliFailure(ExitCode.USAGE, "--hdr-log: cannot write " + hdrLog + " (" + e.getMessage() + ")");
      }
    }
    LoadRun.Progress shown0 = format.equals("human") ? this::progress : LoadRun.Progress.NONE;
    ClientSetup client = throughClient || !replicas.isEmpty() || cache != null ? client(target) : null;
    LoadRun run = client != null ? LoadRun.through(client.path(), shown0) : new LoadRun(() -> {
      try {
        return Connections.open(target, connection.sessionOptions(),
            Map.of("prepareThreshold", Integer.toString(prepareThreshold)));
      } catch (DatabaseFailure f) {
        throw new SQLException(f.getMessage(), "08001");
      }
    }, shown0);
    if (logOut != null) {
      run.histogramLog(logOut);
    }
    if (includeWrites) {
      run.allowingWrites();
    }
    if (format.equals("human")) {
      ctx.err().printf(Locale.ROOT, "pgopt bench: %s, %d statements replayed (%d not), %d clients%s%n", target.display(),
          mix.statements().size(), mix.skipped().size(), clients, client == null ? "" : ", " + client.described());
    }
    List<Step> steps = new ArrayList<>();
    List<Step> repeats = new ArrayList<>();
    try {
      Step s = step(run, mix, stageList.isEmpty() ? first : stage(first, stageList.get(0), true), objectiveMs);
      steps.add(s);
      for (int i = 1; i < stageList.size(); i++) {
        repeats.add(step(run, mix, stage(first, stageList.get(i), false), objectiveMs));
      }
      for (int i = 1; i < repeat; i++) {
        repeats.add(step(run, mix, new LoadOptions(first.ratePerSecond(), first.duration(), first.warmup(), first.clients(),
            first.drainLimit(), first.seed() + i, first.arrivals()), objectiveMs));
      }
      if (findMax) {
        search(run, mix, first, objectiveMs, steps);
      }
    } catch (SQLException e) {
      throw new CliFailure(ExitCode.UNKNOWN, "cannot open the run's connections to " + target.display() + ": "
          + e.getMessage().lines().findFirst().orElse(""), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(ExitCode.UNKNOWN, "interrupted");
    } finally {
      if (logOut != null) {
        logOut.close();
      }
      if (client != null) {
        client.close();
      }
    }
    Step best = steps.stream().filter(Step::met).max((a, b) -> Double.compare(a.rate(), b.rate())).orElse(null);
    Step shown = findMax ? (best != null ? best : steps.get(0)) : steps.get(0);
    if (format.equals("json")) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("target", target.display());
      out.put("generated_at", ctx.clock().instant().toString());
      out.put("objective_p95_ms", objectiveMs);
      out.put("options", options(first));
      out.put("max_rate_meeting_objective", findMax ? best == null ? null : best.rate() : null);
      out.put("result", shown.result());
      if (!stageList.isEmpty()) {
        List<LoadResult> all = new ArrayList<>();
        all.add(steps.get(0).result());
        repeats.forEach(x -> all.add(x.result()));
        out.put("stages", all);
      }
      if (repeat > 1) {
        List<LoadResult> runs = new ArrayList<>();
        runs.add(steps.get(0).result());
        repeats.forEach(x -> runs.add(x.result()));
        out.put("runs", runs);
      }
      if (findMax) {
        out.put("steps", steps);
      }
      if (client != null) {
        out.put("client", client.summary());
      }
      try {
        ctx.out().println(JSON.writeValueAsString(out));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    } else {
      human(shown.result(), objectiveMs, findMax ? steps : List.of(), best);
      if (client != null) {
        ctx.out().println();
        ctx.out().println(client.cacheLine());
      }
      for (int i = 0; i < repeats.size(); i++) {
        LoadResult r = repeats.get(i).result();
        ctx.out().printf(Locale.ROOT, "%s %d (%s/s): %s answered, %s failed, %s not sent; %s%n",
            stageList.isEmpty() ? "Run" : "Stage", i + 2, number(r.targetRate()), Units.count(r.completed()),
            Units.count(r.failed()), Units.count(r.unsent()), line("latency", r.latency()));
      }
    }
    if (plot != null) {
      try {
        List<LoadResult> drawn = new ArrayList<>(List.of(shown.result()));
        if (!stageList.isEmpty()) {
          repeats.forEach(x -> drawn.add(x.result()));
        }
        LatencyPlot.write(drawn, "pgopt bench: " + target.display(), plot);
        dev.pgopt.cli.internal.StatementPlot.write(shown.result(), "pgopt bench: " + target.display(), statementsPlot(plot));
      } catch (java.io.IOException e) {
        throw new CliFailure(ExitCode.UNKNOWN, "--plot: cannot write " + plot + " (" + e.getMessage() + ")", e);
      }
    }
    if (objectiveMs == null) {
      return ExitCode.OK;
    }
    boolean allMet = shown.met() && repeats.stream().allMatch(Step::met);
    return (findMax ? best != null : allMet) ? ExitCode.OK : ExitCode.WARNING;
  }

  /**
   * What the run was asked for, so that {@code pgopt verify --bench} can run it again the same way: never a URL (a
   * replica's or Redis' may hold a password) or a script's text.
   */
  private Map<String, Object> options(LoadOptions first) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("rate", first.ratePerSecond());
    o.put("duration_seconds", first.duration().toMillis() / 1000.0);
    o.put("warmup_seconds", first.warmup().toMillis() / 1000.0);
    o.put("drain_seconds", first.drainLimit().toMillis() / 1000.0);
    o.put("clients", first.clients());
    o.put("top", top);
    o.put("seed", first.seed());
    o.put("arrivals", first.arrivals().name().toLowerCase(Locale.ROOT));
    o.put("repeat", repeat);
    o.put("prepare_threshold", prepareThreshold);
    o.put("find_max", findMax);
    o.put("stages", stages != null);
    o.put("scripts", scripts.size());
    o.put("sample_workload", sampleWorkload);
    o.put("include_writes", includeWrites);
    o.put("through_client", throughClient || !replicas.isEmpty() || cache != null);
    return o;
  }

  private ClientSetup client(DatabaseTarget target) {
    if (includeWrites) {
      throw new CliFailure(ExitCode.USAGE, "--include-writes runs on the run's own sessions: not with --through-client,"
          + " --replica or --cache");
    }
    Duration ttl = ConnectionOptions.duration(cacheTtl, "--cache-ttl");
    String kind = null;
    if (cache != null) {
      kind = cache.equals("memory") ? "memory" : cache.startsWith("redis://") || cache.startsWith("rediss://") ? "redis" : null;
      if (kind == null) {
        throw new CliFailure(ExitCode.USAGE, "--cache must be memory or a Redis URL (redis://host:6379/0), not '"
            + Units.truncate(cache, 40) + "'");
      }
    }
    try {
      // a namespace of this run's own: answers a previous run left in Redis must not count as this run's hits
      return ClientSetup.open(ctx.env(), connection.raw(ctx), clients, connection.sessionOptions().statementTimeout(), replicas,
          kind, cache, ttl, "pgopt-bench-" + Long.toHexString(ctx.clock().millis()) + "-" + ProcessHandle.current().pid());
    } catch (ClientSetup.Unavailable e) {
      throw new CliFailure(ExitCode.UNKNOWN, e.getMessage());
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).enable(SerializationFeature.INDENT_OUTPUT);

  private Step step(LoadRun run, WorkloadMix mix, LoadOptions o, Double objectiveMs) throws SQLException, InterruptedException {
    if (format.equals("human")) {
      ctx.err().printf(Locale.ROOT, "rate %s/s for %s s (warm-up %s s)%n", number(o.ratePerSecond()),
          number(o.duration().toMillis() / 1000.0), number(o.warmup().toMillis() / 1000.0));
    }
    LoadResult r = run.run(mix, o);
    return new Step(o.ratePerSecond(), objectiveMs == null || met(r, objectiveMs), r);
  }

  static boolean met(LoadResult r, double objectiveMs) {
    // every due request sent and answered: with Poisson arrivals the number due varies around rate × duration, so
    // the achieved rate is not compared with the target
    return r.failed() == 0 && r.unsent() == 0 && r.latency().p95() <= objectiveMs;
  }

  /** Doubles the rate until the objective fails, then halves the gap between the last good and first bad rate 4 times. */
  private void search(LoadRun run, WorkloadMix mix, LoadOptions first, double objectiveMs, List<Step> steps)
      throws SQLException, InterruptedException {
    double good = steps.get(0).met() ? first.ratePerSecond() : 0;
    double bad = steps.get(0).met() ? 0 : first.ratePerSecond();
    while (bad == 0 && good < 1_000_000 / 2.0) {
      Step s = step(run, mix, with(first, good * 2), objectiveMs);
      steps.add(s);
      if (s.met()) {
        good = s.rate();
      } else {
        bad = s.rate();
      }
    }
    for (int i = 0; i < 4 && bad > 0 && bad - good > Math.max(1, good * 0.05); i++) {
      double mid = Math.round((good + bad) / 2);
      Step s = step(run, mix, with(first, mid), objectiveMs);
      steps.add(s);
      if (s.met()) {
        good = mid;
      } else {
        bad = mid;
      }
    }
  }

  /** {rate, duration in ms} for each "RATE:DURATION" of --stages. */
  static List<double[]> stages(String text) {
    List<double[]> out = new ArrayList<>();
    for (String part : text.split(",")) {
      String[] rd = part.strip().split(":");
      if (rd.length != 2) {
        throw new CliFailure(ExitCode.USAGE, "--stages: '" + part.strip() + "' is not RATE:DURATION, like 500/s:30s");
      }
      out.add(new double[] {rate(rd[0]), ConnectionOptions.duration(rd[1].strip(), "--stages").toMillis()});
    }
    if (out.size() > 20) {
      throw new CliFailure(ExitCode.USAGE, "--stages: at most 20 stages");
    }
    return out;
  }

  private static LoadOptions stage(LoadOptions o, double[] stage, boolean first) {
    try {
      return new LoadOptions(stage[0], Duration.ofMillis((long) stage[1]), first ? o.warmup() : Duration.ZERO, o.clients(),
          o.drainLimit(), o.seed(), o.arrivals());
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCode.USAGE, "--stages: " + e.getMessage());
    }
  }

  private static LoadOptions with(LoadOptions o, double rate) {
    return o.withRate(rate);
  }

  private static LoadOptions.Arrivals arrivals(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "poisson" -> LoadOptions.Arrivals.POISSON;
      case "uniform" -> LoadOptions.Arrivals.UNIFORM;
      default -> throw new CliFailure(ExitCode.USAGE, "--arrivals must be poisson or uniform, not '" + text + "'");
    };
  }

  private void progress(long second, long sent, double p50, double p95, double p99, long failed) {
    ctx.err().printf(Locale.ROOT, "  %3d s  %6d sent  p50 %s  p95 %s  p99 %s  %d failed%n", second, sent, ms(p50), ms(p95),
        ms(p99), failed);
  }

  private void human(LoadResult r, Double objectiveMs, List<Step> steps, Step best) {
    var out = ctx.out();
    out.printf(Locale.ROOT, "Requests: %s due, %s answered, %s failed, %s not sent; %s/s achieved (target %s/s, %d clients)%n",
        Units.count(r.scheduled()), Units.count(r.completed()), Units.count(r.failed()), Units.count(r.unsent()),
        number(r.achievedRate()), number(r.targetRate()), r.clients());
    out.println(line("Latency (from when due)", r.latency()));
    out.println(line("Service time (from sent)", r.serviceTime()));
    out.printf(Locale.ROOT, "Schedule lag: p99 %s, max %s%n", ms(r.lag().p99()), ms(r.lag().max()));
    if (objectiveMs != null && steps.isEmpty()) {
      out.printf(Locale.ROOT, "Objective p95 <= %s: %s%n", ms(objectiveMs), met(r, objectiveMs) ? "met" : "NOT met");
    }
    out.println();
    out.println("   share    answered     p50       p95       p99    failed  statement");
    for (LoadResult.StatementResult s : r.statements()) {
      out.printf(Locale.ROOT, "  %5.1f %%  %9s  %8s  %8s  %8s  %7s  %s%n", 100 * s.share(), Units.count(s.completed()),
          ms(s.latency().p50()), ms(s.latency().p95()), ms(s.latency().p99()), Units.count(s.failed()),
          Units.truncate(s.query(), 70));
    }
    if (!r.errors().isEmpty()) {
      out.println();
      out.println("Errors:");
      r.errors().forEach((k, v) -> out.printf(Locale.ROOT, "  %7s  %s%n", Units.count(v), Units.truncate(k, 100)));
    }
    if (!r.skipped().isEmpty()) {
      out.println();
      out.println("Not replayed:");
      r.skipped().stream().limit(10).forEach(s -> out.printf(Locale.ROOT, "  %s — %s%n", Units.truncate(s.query(), 60), s.reason()));
      if (r.skipped().size() > 10) {
        out.printf(Locale.ROOT, "  … and %d more (--format json lists all)%n", r.skipped().size() - 10);
      }
    }
    if (!steps.isEmpty()) {
      out.println();
      out.println("Search (p95 <= " + ms(objectiveMs) + "):");
      for (Step s : steps) {
        out.printf(Locale.ROOT, "  %8s/s  p95 %8s  failed %s  not sent %s  %s%n", number(s.rate()), ms(s.result().latency().p95()),
            Units.count(s.result().failed()), Units.count(s.result().unsent()), s.met() ? "met" : "not met");
      }
      out.println(best == null ? "No rate tried met the objective."
          : "Highest rate meeting the objective: " + number(best.rate()) + "/s");
    }
  }

  private static String line(String label, LoadResult.Percentiles p) {
    return String.format(Locale.ROOT, "%s: p50 %s, p90 %s, p95 %s, p99 %s, p99.9 %s, max %s", label, ms(p.p50()),
        ms(p.p90()), ms(p.p95()), ms(p.p99()), ms(p.p999()), ms(p.max()));
  }

  private static String ms(double ms) {
    return ms >= 1000 ? String.format(Locale.ROOT, "%.2f s", ms / 1000)
        : ms >= 10 ? String.format(Locale.ROOT, "%.0f ms", ms) : String.format(Locale.ROOT, "%.2f ms", ms);
  }

  private static String number(double n) {
    return n == Math.rint(n) ? String.format(Locale.ROOT, "%,.0f", n) : String.format(Locale.ROOT, "%,.1f", n);
  }

  private static Duration zeroOrMore(String text, String option) {
    try {
      return dev.pgopt.connect.Quantities.parseDuration(text);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCode.USAGE, option + ": " + e.getMessage());
    }
  }

  /** Milliseconds, fractions allowed: a local point query's p95 is well under one. */
  private static double objective(String text) {
    try {
      double seconds = dev.pgopt.connect.Quantities.parseSeconds(text);
      if (!(seconds > 0)) {
        throw new IllegalArgumentException("'" + text + "' must be positive");
      }
      return seconds * 1000;
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCode.USAGE, "--p95: " + e.getMessage());
    }
  }

  static double rate(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    if (t.endsWith("/s")) {
      t = t.substring(0, t.length() - 2).strip();
    }
    try {
      double r = Double.parseDouble(t);
      if (!(r > 0) || r > 1_000_000) {
        throw new NumberFormatException();
      }
      return r;
    } catch (NumberFormatException e) {
      throw new CliFailure(ExitCode.USAGE, "--rate must be a number of requests per second above 0 and at most 1,000,000, "
          + "like 500/s, not '" + text + "'");
    }
  }
}
