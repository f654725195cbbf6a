package dev.pgopt.cli;

import dev.pgopt.analyze.health.HealthChecker;
import dev.pgopt.analyze.health.HealthReport;
import dev.pgopt.analyze.health.Thresholds;
import dev.pgopt.analyze.workload.TopStatements;
import dev.pgopt.cli.internal.DemoHome;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.collect.StatementSnapshotFile;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.InvalidTargetException;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.local.FreePort;
import dev.pgopt.local.LocalPostgres;
import dev.pgopt.local.LocalProcessException;
import dev.pgopt.local.PostgresInstallation;
import dev.pgopt.sample.SampleDataset;
import dev.pgopt.sample.Workload;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The demo: a private PostgreSQL owned by pgopt, the sample dataset, a short workload, then every analysis pgopt
 * has. It composes the same code the {@code sample load}, {@code sample workload} and {@code check} commands run.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Start (or reuse) a private local PostgreSQL under $PGOPT_HOME (default ~/.local/share/pgopt), load the "
        + "sample dataset once, run a short workload, then run every pgopt analysis against it.",
        "The first run installs what is missing and takes a few minutes; later runs take seconds."})
public final class DemoCommand implements Callable<Integer> {
  private final Context ctx;

  @Option(names = "--scale", defaultValue = "1", description = "Sample dataset size factor (default: ${DEFAULT-VALUE}).")
  double scale;

  @Option(names = "--workload", defaultValue = "5s", paramLabel = "DURATION", description = "How long to run the workload (default: ${DEFAULT-VALUE}).")
  String workload;

  @Option(names = "--clients", defaultValue = "4", description = "Workload clients (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--format", defaultValue = "human", description = "Report format: human or json.")
  String format;

  public DemoCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    OutputFormat.check(format);
    Duration workloadDuration = ConnectionOptions.duration(workload, "--workload");
    SampleDataset.Options sampleOptions;
    Workload.Options workloadOptions;
    try {
      sampleOptions = new SampleDataset.Options(scale, 42, false);
      workloadOptions = Workload.Options.of(workloadDuration, clients);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCode.USAGE, e.getMessage());
    }
    DemoHome home = DemoHome.resolve(ctx.env());
    Environment env = withPassFile(ctx.env(), home);
    int port = startServer(home);
    String url = home.url(port, DemoHome.DATABASE);
    DatabaseTarget target = parse(url, env);
    SessionOptions options = SessionOptions.defaults();

    say("[2/8] database " + DemoHome.DATABASE + " with pg_stat_statements, vector, hypopg, pg_qualstats");
    prepareDatabase(parse(home.url(port, "postgres"), env), target, options);

    step("[3/8] sample dataset (scale " + SampleLoadCommand.fmt(scale) + ")", "pgopt sample load --url " + url);
    new SampleLoadCommand(ctx).load(target, options, sampleOptions, "      ");

    QueriesCommand queries = new QueriesCommand(ctx);
    queries.format = format;
    queries.limit = 6;
    queries.width = 80;
    StatementSnapshot beforeWorkload = snapshot(queries, target, options);
    Path snapshotFile = home.path().resolve("workload-start.json");
    try {
      StatementSnapshotFile.write(beforeWorkload, snapshotFile);
    } catch (IOException e) {
      throw new CliFailure(ExitCode.UNKNOWN, "cannot write " + snapshotFile + ": " + e.getMessage(), e);
    }

    step("[4/8] workload: " + clients + " clients for " + workload, "pgopt sample workload --url " + url);
    Workload.Result result = new SampleWorkloadCommand(ctx).run(target, options, workloadOptions);
    String summary = Workload.summary(result);
    ctx.out().print("      " + summary.substring(0, summary.indexOf('\n') + 1));

    step("[5/8] what the workload ran", "pgopt queries --url " + url + " --since " + snapshotFile);
    ctx.out().println();
    try (Session session = Session.open(target, options)) {
      TopStatements top = queries.report(session, beforeWorkload, TopStatements.SortKey.TOTAL_TIME);
      if (!top.statements().isEmpty()) {
        long slowest = top.statements().get(0).delta().entry().queryId();
        ctx.out().println();
        step("[6/8] the plan of the statement that took most time", "pgopt explain --url " + url + " --query-id " + slowest);
        ctx.out().println();
        ExplainCommand explain = new ExplainCommand(ctx);
        explain.queryId = slowest;
        explain.format = format;
        explain.explain(session);
      }
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }

    ctx.out().println();
    step("[7/8] advice", "pgopt advise --url " + url);
    ctx.out().println();
    AdviseCommand advise = new AdviseCommand(ctx);
    advise.format = format;
    advise.advise(target, options);

    ctx.out().println();
    step("[8/8] health report", "pgopt check --url " + url);
    ctx.out().println();
    CheckCommand check = new CheckCommand(ctx);
    check.format = format;
    HealthReport report = check.run(target, options, Thresholds.defaults(HealthChecker.standardThresholds()));
    check.print(report);

    ctx.out().println();
    ctx.out().println("The demo's database, for any pgopt command:");
    ctx.out().println("  PGPASSFILE=" + home.passFile() + " ./pgopt check --url " + url);
    ctx.out().println("Point the same commands at your own database:");
    ctx.out().println("  ./pgopt check --url 'postgres://user@host:5432/dbname?sslmode=require'   (password from PGPASSWORD or ~/.pgpass)");
    ctx.out().println("  export PGOPT_URL='postgres://...'; ./pgopt check --format json");
    ctx.out().println("Stop the demo server: ./pgopt demo stop");
    return ExitCode.OK;
  }

  private static StatementSnapshot snapshot(QueriesCommand queries, DatabaseTarget target, SessionOptions options) {
    try (Session session = Session.open(target, options)) {
      return queries.snapshot(session);
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
  }

  /** A step and the pgopt command that does the same. */
  private void step(String what, String command) {
    say(String.format("%-40s = %s", what, command));
  }

  private void say(String line) {
    ctx.out().println(line);
    ctx.out().flush();
  }

  private int startServer(DemoHome home) {
    try {
      LocalPostgres pg = LocalPostgres.at(home.dataDir(PostgresInstallation.find().majorVersion()));
      String password = home.password();
      int port = home.port().orElse(0);
      if (pg.isRunning() && port > 0) {
        say("[1/8] PostgreSQL at " + pg.dataDir() + ": running on port " + port);
        home.writePassFile(port, password);
        return port;
      }
      if (!pg.isInitialized()) {
        say("[1/8] PostgreSQL at " + pg.dataDir() + ": creating it (first run)");
        pg.initialize(DemoHome.ROLE, password, true);
      }
      if (port == 0 || !FreePort.isFree(port)) {
        port = FreePort.find();
      }
      Map<String, String> settings = LocalPostgres.standardSettings(port, pg.installation());
      pg.configure(settings);
      say("[1/8] PostgreSQL at " + pg.dataDir() + ": starting on port " + port);
      pg.start();
      home.saveState(pg.dataDir(), port);
      home.writePassFile(port, password);
      return port;
    } catch (LocalProcessException e) {
      throw new CliFailure(ExitCode.UNKNOWN, "cannot run the demo server: " + e.getMessage(), e);
    }
  }

  private static void prepareDatabase(DatabaseTarget admin, DatabaseTarget demo, SessionOptions options) {
    try (Connection c = Connections.open(admin, options); Statement s = c.createStatement()) {
      boolean exists;
      try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DemoHome.DATABASE + "'")) {
        exists = rs.next();
      }
      if (!exists) {
        s.execute("CREATE DATABASE " + DemoHome.DATABASE);
      }
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    } catch (SQLException e) {
      throw new CliFailure(ExitCode.UNKNOWN, "cannot create the demo database: " + e.getMessage(), e);
    }
    try (Connection c = Connections.open(demo, options); Statement s = c.createStatement()) {
      for (String ext : new String[] {"pg_stat_statements", "vector", "hypopg"}) {
        s.execute("CREATE EXTENSION IF NOT EXISTS " + ext);
      }
      // optional: the constants statements run with, for partial index advice (preloaded by standardSettings when installed)
      try (var rs = s.executeQuery("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_qualstats'")) {
        if (!rs.next()) {
          return;
        }
      }
      s.execute("CREATE EXTENSION IF NOT EXISTS pg_qualstats");
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    } catch (SQLException e) {
      throw new CliFailure(ExitCode.UNKNOWN, "cannot create the extensions in the demo database: " + e.getMessage()
          + " (run scripts/ensure-system demo)", e);
    }
  }

  private static DatabaseTarget parse(String url, Environment env) {
    try {
      return DatabaseTarget.parse(url, env);
    } catch (InvalidTargetException e) {
      throw new IllegalStateException("demo URL did not parse: " + e.getMessage(), e);
    }
  }

  /** The user's environment, with the demo's password file. */
  private static Environment withPassFile(Environment env, DemoHome home) {
    return new Environment() {
      @Override
      public Optional<String> get(String name) {
        if (name.equals("PGPASSFILE")) {
          return Optional.of(home.passFile().toString());
        }
        if (name.equals("PGPASSWORD")) {
          return Optional.empty();
        }
        return env.get(name);
      }

      @Override
      public Path home() {
        return env.home();
      }

      @Override
      public String userName() {
        return env.userName();
      }
    };
  }

  @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop the demo's PostgreSQL server (its data stays).")
  public static final class Stop implements Callable<Integer> {
    private final Context ctx;

    public Stop(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      DemoHome home = DemoHome.resolve(ctx.env());
      String dir = home.state().getProperty("data_dir");
      if (dir == null) {
        ctx.out().println("no demo server under " + home.path());
        return ExitCode.OK;
      }
      try {
        LocalPostgres pg = LocalPostgres.at(Path.of(dir));
        if (!pg.isRunning()) {
          ctx.out().println("the demo server at " + dir + " is not running");
          return ExitCode.OK;
        }
        pg.stop();
        ctx.out().println("stopped the demo server at " + dir);
        return ExitCode.OK;
      } catch (LocalProcessException e) {
        throw new CliFailure(ExitCode.UNKNOWN, "cannot stop the demo server: " + e.getMessage(), e);
      }
    }
  }
}
