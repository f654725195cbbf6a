package dev.pgopt.cli;

import dev.pgopt.cli.internal.HumanVector;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import dev.pgopt.vector.VectorJson;
import dev.pgopt.vector.inspect.PgvectorMissingException;
import dev.pgopt.vector.inspect.VectorInventory;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Every vector, halfvec, sparsevec and bit column with its size, every HNSW/IVFFlat index with its"
        + " parameters, the statements that search by distance and why their plans do or do not use an ANN index,"
        + " the settings, and known issues of the installed pgvector."},
    footer = {"", "Exit codes: 0 done, 3 cannot connect or pgvector missing, 64 usage error."})
public final class VectorInspectCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Mixin
  PlanningOptions planning = new PlanningOptions();

  @Option(names = "--format", defaultValue = "human", description = "human (default) or json (docs/vector.md).")
  String format;

  @Option(names = "--width", defaultValue = "120", description = "Truncate statement text (default: ${DEFAULT-VALUE}).")
  int width;

  public VectorInspectCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    OutputFormat.check(format);
    DatabaseTarget target = connection.target(ctx);
    try (Session session = Session.open(target, connection.sessionOptions())) {
      VectorInventory inv = session.readOnly(c -> {
        try {
          return VectorInventory.read(c, planning.guard(), session.serverVersionNum());
        } catch (PgvectorMissingException e) {
          throw new CliFailure(ExitCode.UNKNOWN, e.getMessage());
        }
      });
      ctx.out().print(format.equals("json") ? VectorJson.inspect(inv, target.display(), ctx.clock().instant()) + "\n"
          : HumanVector.inspect(inv, target.display(), width));
      return ExitCode.OK;
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
  }
}
