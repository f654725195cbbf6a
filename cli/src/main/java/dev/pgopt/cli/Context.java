package dev.pgopt.cli;

import dev.pgopt.connect.Environment;
import java.io.PrintStream;
import java.time.Clock;

/** What commands run with: environment, output streams, clock and whether colour is wanted. Injected by tests. */
public record Context(Environment env, PrintStream out, PrintStream err, Clock clock, boolean colour) {}
