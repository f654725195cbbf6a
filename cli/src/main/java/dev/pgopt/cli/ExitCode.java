package dev.pgopt.cli;

/** Exit codes: the monitoring-plugin convention for reports, 64 (EX_USAGE) for usage errors. */
public final class ExitCode {
  public static final int OK = 0;
  public static final int WARNING = 1;
  public static final int CRITICAL = 2;
  /** Cannot connect or cannot run. */
  public static final int UNKNOWN = 3;
  public static final int USAGE = 64;

  private ExitCode() {}
}
