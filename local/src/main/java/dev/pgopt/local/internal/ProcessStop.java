package dev.pgopt.local.internal;

import dev.pgopt.local.LocalProcessException;
import java.util.concurrent.TimeUnit;

/** Stops a spawned server: SIGTERM to it and its children (runuser's child when we are root), then SIGKILL if it lingers. */
public final class ProcessStop {
  private ProcessStop() {}

  public static void gracefully(Process process, String what) {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LocalProcessException("interrupted while stopping " + what, e);
    }
  }
}
