package dev.pgopt.cli;

import dev.pgopt.cli.internal.Redactor;
import dev.pgopt.connect.Environment;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import picocli.CommandLine;

/** Entry point: wires the commands, turns every failure into one line and an exit code. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    Environment env = Environment.system();
    boolean colour = System.console() != null && env.get("NO_COLOR").isEmpty()
        && !"dumb".equals(env.get("TERM").orElse("dumb"));
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(args, new Context(env, out, err, Clock.systemUTC(), colour)));
  }

  public static CommandLine commandLine(Context ctx) {
    CommandLine cl = new CommandLine(new PgoptCommand());
    cl.addSubcommand(new CommandLine(new DemoCommand(ctx)).addSubcommand(new DemoCommand.Stop(ctx)));
    cl.addSubcommand(new CheckCommand(ctx));
    cl.addSubcommand(new QueriesCommand(ctx));
    cl.addSubcommand(new ExplainCommand(ctx));
    cl.addSubcommand(new AdviseCommand(ctx));
    cl.addSubcommand(new ApplyCommand(ctx));
    cl.addSubcommand(new VerifyCommand(ctx));
    cl.addSubcommand(new ServeCommand(ctx));
    cl.addSubcommand(new CommandLine(new BenchCommand(ctx)).addSubcommand(new BenchCompareCommand(ctx)));
    cl.addSubcommand(new CommandLine(new BackupCommand())
        .addSubcommand(new BackupCommand.Setup(ctx))
        .addSubcommand(new BackupCommand.Run(ctx))
        .addSubcommand(new BackupCommand.ListBackups(ctx))
        .addSubcommand(new BackupCommand.Verify(ctx))
        .addSubcommand(new BackupDrillCommand(ctx)));
    cl.addSubcommand(new CommandLine(new PoolerCommand())
        .addSubcommand(new PoolerCommand.Config(ctx))
        .addSubcommand(new PoolerCommand.Check(ctx)));
    cl.addSubcommand(new CommandLine(new RetentionCommand())
        .addSubcommand(new RetentionCommand.Run(ctx))
        .addSubcommand(new RetentionCommand.Drop(ctx))
        .addSubcommand(new RetentionCommand.Restore(ctx)));
    cl.addSubcommand(new CommandLine(new PartitionCommand()).addSubcommand(new PartitionCommand.Migrate(ctx))
        .addSubcommand(new PartitionCommand.Maintain(ctx)));
    cl.addSubcommand(new PlatformCommand(ctx));
    cl.addSubcommand(new CostCommand(ctx));
    cl.addSubcommand(new CommandLine(new VectorCommand())
        .addSubcommand(new VectorInspectCommand(ctx))
        .addSubcommand(new VectorTuneCommand(ctx))
        .addSubcommand(new VectorBuildIndexCommand(ctx))
        .addSubcommand(new VectorMigrateHalfvecCommand(ctx)));
    cl.addSubcommand(new CommandLine(new PgoptCommand.Sample())
        .addSubcommand(new SampleLoadCommand(ctx))
        .addSubcommand(new SampleEmbedCommand(ctx))
        .addSubcommand(new SampleWorkloadCommand(ctx))
        .addSubcommand(new SampleEvaluateCommand(ctx)));
    return cl;
  }

  public static int run(String[] args, Context ctx) {
    Redactor redactor = new Redactor(args, ctx.env());
    boolean verbose = Arrays.stream(args).anyMatch(a -> a.equals("-v") || a.equals("--verbose"));
    CommandLine cl = commandLine(ctx);
    cl.setOut(new PrintWriter(ctx.out(), true));
    cl.setErr(new PrintWriter(ctx.err(), true));
    cl.setParameterExceptionHandler((ex, argv) -> {
      CommandLine c = ex.getCommandLine();
      ctx.err().println("pgopt: " + redactor.scrub(ex.getMessage()));
      ctx.err().println("Run '" + c.getCommandSpec().qualifiedName() + " --help' for usage.");
      return ExitCode.USAGE;
    });
    cl.setExecutionExceptionHandler((ex, c, parsed) -> {
      int code = ex instanceof CliFailure f ? f.exitCode() : ExitCode.UNKNOWN;
      String message = ex instanceof CliFailure ? ex.getMessage()
          : "unexpected error: " + ex + " (run again with --verbose for details, and report it)";
      ctx.err().println("pgopt: " + redactor.scrub(message));
      if (verbose) {
        StringWriter trace = new StringWriter();
        ex.printStackTrace(new PrintWriter(trace));
        ctx.err().print(redactor.scrub(trace.toString()));
      }
      return code;
    });
    return cl.execute(args);
  }
}
