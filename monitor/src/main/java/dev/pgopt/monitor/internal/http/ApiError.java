package dev.pgopt.monitor.internal.http;

/** A request the API refuses, with the HTTP status and a one-line reason. */
final class ApiError extends RuntimeException {
  final int status;

  ApiError(int status, String message) {
    super(message);
    this.status = status;
  }
}
