package dev.pgopt.cli;

import dev.pgopt.cli.internal.DemoHome;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.cli.internal.EmbedModule;
import dev.pgopt.sample.EmbeddingFiller;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Fills repositories.embedding of the sample dataset with real 384-dimension embeddings of each"
        + " repository's name and description (all-MiniLM-L6-v2, computed in process, offline).",
        "Embeddings are cached under $PGOPT_HOME, so each text is embedded once per machine (about 2.5 minutes for"
            + " the 63k repositories on 2 cores); interrupted runs resume where they stopped."},
    footer = {"", "Exit codes: 0 done, 3 cannot connect, the sample dataset is missing or pgopt-embed.jar is not beside"
        + " pgopt.jar, 64 usage error."})
public final class SampleEmbedCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  public SampleEmbedCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    DatabaseTarget target = connection.target(ctx);
    EmbeddingFiller filler = EmbedModule.load().orElseThrow(() -> new CliFailure(ExitCode.UNKNOWN,
        "sample embed needs " + EmbedModule.expectedAt().map(Object::toString).orElse(EmbedModule.JAR)
            + " (the model and ONNX Runtime, kept out of pgopt.jar): build it with mvn package, which puts it there"));
    Thread thread = Thread.currentThread();
    ClassLoader before = thread.getContextClassLoader();
    // the model library finds its model file through the context class loader: the one that loaded the module
    thread.setContextClassLoader(filler.getClass().getClassLoader());
    try (Connection c = Connections.open(target, connection.sessionOptions())) {
      EmbeddingFiller.Result r = filler.fill(c, DemoHome.resolve(ctx.env()).path(), ctx.err()::println);
      ctx.out().printf("embedded %,d repositories in %.1f s (%,d computed, %,d from the cache)%n", r.rows(), r.seconds(),
          r.computed(), r.fromCache());
      return ExitCode.OK;
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState()) || "42703".equals(e.getSQLState())) {
        throw new CliFailure(ExitCode.UNKNOWN, "no sample dataset in " + target.display()
            + " (repositories with an embedding column): run pgopt sample load first");
      }
      throw new CliFailure(ExitCode.UNKNOWN, "embedding failed: " + e.getMessage().lines().findFirst().orElse(""), e);
    } catch (IOException e) {
      throw new CliFailure(ExitCode.UNKNOWN, "cannot use the embedding cache: " + e.getMessage(), e);
    } finally {
      thread.setContextClassLoader(before);
    }
  }
}
