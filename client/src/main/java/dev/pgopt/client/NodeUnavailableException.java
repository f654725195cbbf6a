package dev.pgopt.client;

import java.sql.SQLTransientConnectionException;

/** No node can take this work now: the primary is down or its circuit is open, or no replica may serve a read. */
public final class NodeUnavailableException extends SQLTransientConnectionException {
  public NodeUnavailableException(String message, Throwable cause) {
    super(message, "08001", cause);
  }
}
