package dev.pgopt.connect;

/** A connection string that cannot be understood. The message says what is wrong and never contains the password. */
public final class InvalidTargetException extends Exception {
  public InvalidTargetException(String message) {
    super(message);
  }
}
