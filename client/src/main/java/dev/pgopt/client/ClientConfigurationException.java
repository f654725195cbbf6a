package dev.pgopt.client;

/**
 * The data source or cache cannot start as configured: a bad value, a node that is unreachable or has the wrong role,
 * a Redis URL that does not work. The message names the setting or node and what to do; it never holds a password.
 */
public final class ClientConfigurationException extends IllegalStateException {
  public ClientConfigurationException(String message) {
    super(message);
  }

  public ClientConfigurationException(String message, Throwable cause) {
    super(message, cause);
  }
}
