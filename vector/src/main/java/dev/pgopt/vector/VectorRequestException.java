package dev.pgopt.vector;

/** A vector command cannot run as asked (bad column, filter, parameters...): the message names the problem and what to do. */
public final class VectorRequestException extends Exception {
  public VectorRequestException(String message) {
    super(message);
  }
}
