package dev.pgopt.cli;

import dev.pgopt.vector.VectorRequestException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "vector", mixinStandardHelpOptions = true,
    description = "pgvector: what is there and how it is used (inspect), measured tuning on your own data (tune), online"
        + " index builds (build-index) and migration to halfvec (migrate-halfvec).")
public final class VectorCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return ExitCode.USAGE;
  }

  /** Bad input to a vector command is a usage error (64); a database without pgvector cannot run it (3). */
  static CliFailure failure(Exception e) {
    return new CliFailure(e instanceof VectorRequestException ? ExitCode.USAGE : ExitCode.UNKNOWN, e.getMessage());
  }
}
