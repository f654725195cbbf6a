package dev.pgopt.monitor.internal.maintenance;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Backups and drills, run one after the other on their own thread. A task already waiting or running for a target is
 * not queued again: a backup that outlasts its schedule's interval must not pile up runs behind it.
 */
public final class BackgroundRuns {
  private final Executor executor;
  private final Set<String> pending = ConcurrentHashMap.newKeySet();

  public BackgroundRuns(Executor executor) {
    this.executor = executor;
  }

  /** Queues {@code run}; false when the same task is already waiting or running for {@code target}. */
  public boolean submit(MaintenanceTask task, String target, Runnable run) {
    String key = task.key() + ":" + target;
    if (!pending.add(key)) {
      return false;
    }
    try {
      executor.execute(() -> {
        try {
          run.run();
        } finally {
          pending.remove(key);
        }
      });
      return true;
    } catch (RejectedExecutionException e) {
      pending.remove(key);
      return false;
    }
  }
}
