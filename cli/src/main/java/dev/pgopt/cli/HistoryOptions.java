package dev.pgopt.cli;

import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.InvalidTargetException;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.SessionOptions;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import picocli.CommandLine.Option;

/** A pgopt monitor's history store to read from: its URL, the target's name in it, and how far back. */
public final class HistoryOptions {
  @Option(names = "--history", paramLabel = "URL", description = "A pgopt monitor's history store, read for what it kept of this server.")
  String url;

  @Option(names = "--history-target", paramLabel = "NAME", description = "The server's target name in that monitor.")
  String target;

  @Option(names = "--history-window", paramLabel = "DURATION",
      description = "How far back the history is read (default: 7d for pooler config, 30d for advise).")
  String window;

  /** A read of the store's connection. */
  @FunctionalInterface
  interface StoreRead<T> {
    T run(Connection store, String target, Duration window) throws SQLException;
  }

  boolean given() {
    return url != null;
  }

  /** Fails with one line (exit 64) when only one of the URL and the target is given, or the window is not a duration. */
  void check() {
    if ((url == null) != (target == null)) {
      throw new CliFailure(ExitCode.USAGE, "--history and --history-target go together: the store and the target's name in it");
    }
    if (window != null) {
      ConnectionOptions.duration(window, "--history-window");
    }
  }

  String targetName() {
    return target;
  }

  /** The window as given, or {@code fallback}'s text. */
  String windowText(String fallback) {
    return window == null ? fallback : window;
  }

  /** Reads the store over the window given, or {@code defaultWindow}; a store that cannot be read fails (exit 3). */
  <T> T read(Context ctx, SessionOptions options, Duration defaultWindow, StoreRead<T> read) {
    check();
    Duration over = window == null ? defaultWindow : ConnectionOptions.duration(window, "--history-window");
    DatabaseTarget store;
    try {
      store = DatabaseTarget.parse(url, ctx.env());
    } catch (InvalidTargetException e) {
      throw new CliFailure(ExitCode.USAGE, "invalid connection string in --history: " + e.getMessage());
    }
    try (Session s = Session.open(store, options)) {
      return s.readOnly(c -> read.run(c, target, over));
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, "--history: " + f.getMessage(), f);
    }
  }
}
