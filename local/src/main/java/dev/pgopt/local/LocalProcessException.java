package dev.pgopt.local;

/** A local server process could not be set up, started or stopped. The message names the step and what to do. */
public final class LocalProcessException extends RuntimeException {
  public LocalProcessException(String message) {
    super(message);
  }

  public LocalProcessException(String message, Throwable cause) {
    super(message, cause);
  }
}
