package dev.pgopt.cli;

import dev.pgopt.cli.internal.DemoHome;
import dev.pgopt.monitor.ConfigException;
import dev.pgopt.monitor.Monitor;
import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.MonitorConfigLoader;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Run the monitor: collect from the targets in the configuration on schedules, keep history in "
        + "PostgreSQL, alert, respond to incidents, run maintenance, and serve the API, /metrics and the dashboard. "
        + "Runs until stopped (Ctrl-C or SIGTERM). Configuration: docs/monitor.md."},
    footer = {"", "Exit codes: 0 stopped (or --check passed), 3 cannot start, 64 bad configuration."})
public final class ServeCommand implements Callable<Integer> {
  private final Context ctx;

  @Option(names = "--config", defaultValue = "pgopt.yml", paramLabel = "FILE",
      description = "The configuration file (default: ${DEFAULT-VALUE}).")
  Path config;

  @Option(names = "--check", description = "Only read and check the configuration, then exit.")
  boolean check;

  public ServeCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    DemoHome demo = DemoHome.resolve(ctx.env());
    Optional<String> demoStore = demo.port().map(port -> "postgres://" + DemoHome.ROLE + ":" + demo.password()
        + "@127.0.0.1:" + port + "/" + DemoHome.DATABASE);
    MonitorConfig cfg;
    try {
      cfg = MonitorConfigLoader.load(config, ctx.env(), demoStore);
    } catch (ConfigException e) {
      throw new CliFailure(ExitCode.USAGE, e.getMessage());
    }
    if (check) {
      ctx.out().println(config + ": OK (" + cfg.targets().size() + " target(s), " + cfg.alerts().channels().size()
          + " alert channel(s))");
      return ExitCode.OK;
    }
    Monitor monitor;
    try {
      monitor = Monitor.start(cfg, ctx.env(), ctx.clock(), config.toString());
    } catch (ConfigException e) {
      throw new CliFailure(ExitCode.UNKNOWN, e.getMessage());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      monitor.close();
      stopped.countDown();
    }, "pgopt-shutdown"));
    ctx.out().println("pgopt monitor on " + monitor.baseUrl() + "  (dashboard /, API /api, metrics /metrics)");
    ctx.out().println("monitoring " + String.join(", ", cfg.targets().stream().map(MonitorConfig.Target::name).toList())
        + "; history store " + (monitor.storeUp() ? "ready" : "not reachable yet (buffering)"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return ExitCode.OK;
  }
}
