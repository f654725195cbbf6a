package dev.pgopt.monitor.internal.store;

/** The history store cannot be reached or written; reads say so, writes wait in the buffer. */
public final class StoreUnavailableException extends Exception {
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
