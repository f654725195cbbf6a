package dev.pgopt.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.internal.collect.Series;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The monitor's schedules and shared state under failure and concurrency; no server needed. */
class RuntimeRobustnessTest {
  @TempDir
  Path home;

  @Test
  void aScheduleSurvivesAnError() throws Exception {
    ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor();
    try {
      AtomicInteger runs = new AtomicInteger();
      CountDownLatch third = new CountDownLatch(3);
      ex.scheduleWithFixedDelay(() -> MonitorCore.guarded(() -> {
        runs.incrementAndGet();
        third.countDown();
        if (runs.get() == 1) {
          throw new StackOverflowError("thrown on purpose");
        }
      }), 0, 10, TimeUnit.MILLISECONDS);
      assertThat(third.await(10, TimeUnit.SECONDS)).as("the task ran again after an Error").isTrue();
    } finally {
      ex.shutdownNow();
    }
  }

  @Test
  void runsFiredBackToBackAfterAnOverrunAreNotSamplesOfTheirOwn() {
    Instant t0 = Instant.parse("2026-12-04T10:00:00Z");
    Duration interval = Duration.ofSeconds(15);
    assertThat(MonitorCore.due(null, t0, interval)).as("the first run").isTrue();
    assertThat(MonitorCore.due(t0, t0.plusSeconds(15), interval)).as("on schedule").isTrue();
    assertThat(MonitorCore.due(t0, t0.plusSeconds(60), interval)).as("the first run after a minute-long overrun").isTrue();
    assertThat(MonitorCore.due(t0.plusSeconds(60), t0.plusMillis(60_003), interval)).as("the catch-up runs after it").isFalse();
    assertThat(MonitorCore.due(t0, t0.plusMillis(7_500), interval)).isTrue();
    assertThat(MonitorCore.due(t0, t0.plusMillis(7_499), interval)).isFalse();
  }

  @Test
  void mergesFromTwoCollectorsAreNeverLost() throws Exception {
    DatabaseTarget db = DatabaseTarget.parse("postgres://nobody@127.0.0.1:1/none", Environment.of(Map.of(), home, "tester"));
    TargetRuntime rt = new TargetRuntime(new MonitorConfig.Target("t", "postgres://nobody@127.0.0.1:1/none", Optional.empty(),
        Optional.empty(), 0, false, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()), db, Duration.ofSeconds(5), Clock.systemUTC(), Optional.empty(),
        Optional.empty());
    int rounds = 20_000;
    Thread a = new Thread(() -> {
      for (int i = 1; i <= rounds; i++) {
        rt.merge(Map.of(Series.UP, (double) i));
      }
    });
    Thread b = new Thread(() -> {
      for (int i = 1; i <= rounds; i++) {
        rt.merge(Map.of(Series.CONNECTIONS, (double) i));
      }
    });
    a.start();
    b.start();
    a.join();
    b.join();
    assertThat(rt.values.get(Series.UP)).isEqualTo(rounds);
    assertThat(rt.values.get(Series.CONNECTIONS)).isEqualTo(rounds);
  }
}
