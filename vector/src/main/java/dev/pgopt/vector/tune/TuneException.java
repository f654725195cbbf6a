package dev.pgopt.vector.tune;

/** Tuning cannot run as asked: the message names the problem and what to do. */
public final class TuneException extends Exception {
  public TuneException(String message) {
    super(message);
  }
}
