/**
 * The {@code pgopt} command: one picocli command class per subcommand, each a thin composition of the library
 * modules, with the exit codes and one-line errors users see ({@link dev.pgopt.cli.CliFailure}).
 */
package dev.pgopt.cli;
