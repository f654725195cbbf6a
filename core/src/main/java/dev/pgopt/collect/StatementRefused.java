package dev.pgopt.collect;

/**
 * pgopt will not plan (or run) this statement: it is more than one statement, not one EXPLAIN accepts, or it may call a
 * function that must not run. The message is one line for the user. An {@link IllegalArgumentException}, so callers
 * that report bad input (exit 64, HTTP 400) report this the same way.
 */
public final class StatementRefused extends IllegalArgumentException {
  public StatementRefused(String message) {
    super(message);
  }
}
