package dev.pgopt.cli.internal;

import dev.pgopt.analyze.health.Thresholds;
import dev.pgopt.cli.CliFailure;
import dev.pgopt.cli.ExitCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Applies thresholds from a config file ({@code key = value} lines, {@code #} comments) and then from
 * {@code --threshold key=value} flags, so flags win.
 */
public final class ThresholdConfig {
  private ThresholdConfig() {}

  public static Thresholds apply(Thresholds base, Path configFile, List<String> flags) {
    Thresholds t = base;
    if (configFile != null) {
      List<String> lines;
      try {
        lines = Files.readAllLines(configFile, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new CliFailure(ExitCode.USAGE, "cannot read config file " + configFile + ": "
            + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
      }
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        t = set(t, line, configFile + " line " + (i + 1));
      }
    }
    for (String flag : flags) {
      t = set(t, flag, "--threshold " + flag);
    }
    return t;
  }

  private static Thresholds set(Thresholds t, String assignment, String where) {
    int eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new CliFailure(ExitCode.USAGE, where + ": expected key=value, e.g. connections.warning=80");
    }
    try {
      return t.with(assignment.substring(0, eq).strip(), assignment.substring(eq + 1).strip());
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCode.USAGE, where + ": " + e.getMessage());
    }
  }
}
