package dev.pgopt.monitor.internal.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A backup that outlasts its schedule is not queued again behind itself; other tasks and targets still are. */
class BackgroundRunsTest {
  @Test
  void aTaskWaitingOrRunningForATargetIsNotQueuedTwice() throws Exception {
    ExecutorService one = Executors.newSingleThreadExecutor();
    try {
      BackgroundRuns runs = new BackgroundRuns(one);
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch done = new CountDownLatch(3);
      Runnable slow = () -> {
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        done.countDown();
      };
      assertThat(runs.submit(MaintenanceTask.BACKUP, "app", slow)).isTrue();
      assertThat(runs.submit(MaintenanceTask.BACKUP, "app", done::countDown)).as("running already").isFalse();
      assertThat(runs.submit(MaintenanceTask.RESTORE_DRILL, "app", done::countDown)).as("another task").isTrue();
      assertThat(runs.submit(MaintenanceTask.BACKUP, "other", done::countDown)).as("another target").isTrue();
      assertThat(runs.submit(MaintenanceTask.RESTORE_DRILL, "app", done::countDown)).as("waiting already").isFalse();
      release.countDown();
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
      one.submit(() -> { }).get(10, TimeUnit.SECONDS);
      assertThat(runs.submit(MaintenanceTask.BACKUP, "app", () -> { })).as("finished: may run again").isTrue();
    } finally {
      one.shutdownNow();
    }
  }
}
