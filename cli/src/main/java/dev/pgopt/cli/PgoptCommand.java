package dev.pgopt.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "pgopt", mixinStandardHelpOptions = true, versionProvider = PgoptCommand.Version.class,
    description = {"pgopt makes PostgreSQL fast and keeps it healthy: diagnose, advise with proof, apply safely, monitor.", ""},
    footer = {"", "Start with: ./pgopt demo     (a private PostgreSQL with sample data, then every analysis)",
        "Then:       ./pgopt check --url postgres://user@host:5432/db",
        "Exit codes: 0 ok/healthy, 1 warning, 2 critical, 3 cannot connect or cannot run, 64 usage error."})
public final class PgoptCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
      description = "On errors, also print the stack trace (passwords are still removed).")
  boolean verbose;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return ExitCode.USAGE;
  }

  /** The version from the jar's manifest, when built. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = PgoptCommand.class.getPackage().getImplementationVersion();
      return new String[] {"pgopt " + (v == null ? "development build" : v)};
    }
  }

  @Command(name = "sample", mixinStandardHelpOptions = true,
      description = "The sample AI-platform dataset and its workload (used by the demo, the tests and the benchmarks).")
  static final class Sample implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().usage(spec.commandLine().getOut());
      return ExitCode.USAGE;
    }
  }
}
