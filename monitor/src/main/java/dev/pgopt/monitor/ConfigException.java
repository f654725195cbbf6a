package dev.pgopt.monitor;

/** A configuration that cannot be used; the message names the file, the key and what to do. */
public final class ConfigException extends Exception {
  public ConfigException(String message) {
    super(message);
  }
}
