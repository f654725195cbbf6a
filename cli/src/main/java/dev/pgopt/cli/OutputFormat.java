package dev.pgopt.cli;

/** The {@code --format} every reporting command takes: human (the default) or json. */
final class OutputFormat {
  private OutputFormat() {}

  /** Refuses anything but human and json, with the usage exit code. */
  static void check(String format) {
    if (!format.equals("human") && !format.equals("json")) {
      throw new CliFailure(ExitCode.USAGE, "--format must be human or json, not '" + format + "'");
    }
  }
}
