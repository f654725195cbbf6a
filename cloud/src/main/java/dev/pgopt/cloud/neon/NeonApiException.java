package dev.pgopt.cloud.neon;

/** A call to the Neon API that did not succeed; the message says what to check. The API key never appears in it. */
public final class NeonApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public NeonApiException(int status, String message) {
    super(message);
    this.status = status;
  }

  public NeonApiException(String message, Throwable cause) {
    super(message, cause);
    this.status = 0;
  }

  /** The HTTP status, or 0 when there was no answer. */
  public int status() {
    return status;
  }
}
