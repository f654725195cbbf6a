package dev.pgopt.vector.inspect;

/** The database has no pgvector extension; the message says how to get it. */
public final class PgvectorMissingException extends Exception {
  public PgvectorMissingException(String message) {
    super(message);
  }
}
