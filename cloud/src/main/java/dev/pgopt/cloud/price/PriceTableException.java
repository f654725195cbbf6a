package dev.pgopt.cloud.price;

/** A price file that cannot be used; the message names the file, the provider and the field. */
public final class PriceTableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PriceTableException(String message) {
    super(message);
  }
}
