package dev.pgopt.lifecycle;

/** A lifecycle step that cannot go on; the message says what, where, and what to do. Nothing is left half done. */
public final class LifecycleException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LifecycleException(String message) {
    super(message);
  }

  public LifecycleException(String message, Throwable cause) {
    super(message, cause);
  }
}
