package dev.pgopt.cli;

import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.sample.SampleDataset;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "load", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Load the sample AI-platform dataset (users, repositories from Debian package metadata, opportunities, "
        + "projects, messages, token_usage, analytics_events) into an empty database.",
        "Runs in one transaction: a failed load leaves nothing behind. Loading the same scale and seed again does nothing."})
public final class SampleLoadCommand implements Callable<Integer> {
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Option(names = "--scale", defaultValue = "1", description = "Size factor; 1 is about 1.4 million rows (default: ${DEFAULT-VALUE}).")
  double scale;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed; the same seed gives the same rows (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--replace", description = "Drop and reload a sample dataset loaded earlier with another scale or seed.")
  boolean replace;

  public SampleLoadCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    SampleDataset.Options options;
    try {
      options = new SampleDataset.Options(scale, seed, replace);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCode.USAGE, "--scale: " + e.getMessage());
    }
    load(connection.target(ctx), connection.sessionOptions(), options, "  ");
    return ExitCode.OK;
  }

  /** Loads and reports progress on stderr-like lines prefixed with {@code indent}. */
  public SampleDataset.LoadResult load(DatabaseTarget target, SessionOptions sessionOptions, SampleDataset.Options options, String indent) {
    try (Connection c = Connections.open(target, sessionOptions)) {
      SampleDataset.LoadResult r = SampleDataset.load(c, options, ctx.clock(), step -> ctx.out().println(indent + step + "..."));
      SampleDataset.Info info = r.info();
      if (r.alreadyLoaded()) {
        boolean same = info.scale() == options.scale() && info.seed() == options.seed();
        ctx.out().printf(Locale.ROOT, "%salready loaded (scale %s, seed %d, %,d rows, %s)%s%n", indent, fmt(info.scale()),
            info.seed(), info.totalRows(), info.loadedAt(), same ? "" : ": pass --replace to reload with scale "
                + fmt(options.scale()) + " and seed " + options.seed());
      } else {
        ctx.out().printf(Locale.ROOT, "%sloaded %,d rows in %.1f s (scale %s, seed %d)%n", indent, info.totalRows(),
            r.took().toMillis() / 1000.0, fmt(info.scale()), info.seed());
      }
      return r;
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    } catch (SQLException e) {
      throw new CliFailure(ExitCode.UNKNOWN, "loading the sample dataset into " + target.display() + " failed, nothing was kept: "
          + firstLine(e.getMessage()), e);
    }
  }

  static String fmt(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
