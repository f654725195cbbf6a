package dev.pgopt.cli;

import dev.pgopt.collect.PlanGuard;
import picocli.CommandLine.Option;

/** --allow-user-functions, shared by every command that plans statements it did not write. */
public final class PlanningOptions {
  @Option(names = "--allow-user-functions",
      description = "Plan statements that call user-defined functions too. PostgreSQL runs IMMUTABLE and STABLE functions "
          + "while planning, with pgopt's role; without this option such statements are refused, with the function named.")
  boolean allowUserFunctions;

  public PlanGuard guard() {
    return PlanGuard.of(allowUserFunctions);
  }
}
