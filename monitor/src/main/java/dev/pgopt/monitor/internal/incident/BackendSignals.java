package dev.pgopt.monitor.internal.incident;

import dev.pgopt.connect.DatabaseFailure;

/** Sends cancel and terminate to one backend, only if it is still the session that was judged. */
public interface BackendSignals {
  /** {@code terminate} false: pg_cancel_backend. Returns whether the server accepted the signal. */
  boolean signal(String target, int pid, java.time.Instant backendStateSince, boolean terminate) throws DatabaseFailure;
}
