package dev.pgopt.monitor.internal.alert;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers notifications to every channel on its own threads: the caller (collection) never waits. A failed delivery
 * is retried with exponential backoff (1 s, 2 s, 4 s, … up to {@code attempts}); a permanent refusal is not. Each
 * outcome is counted per channel.
 */
public final class Dispatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
  private static final int MAX_QUEUED = 10_000;

  private final List<Channel> channels;
  private final int attempts;
  private final Duration firstBackoff;
  private final ScheduledThreadPoolExecutor executor;
  private final MeterRegistry registry;
  private final AtomicInteger queued = new AtomicInteger();

  public Dispatcher(List<Channel> channels, int attempts, Duration firstBackoff, MeterRegistry registry) {
    this.channels = List.copyOf(channels);
    this.attempts = attempts;
    this.firstBackoff = firstBackoff;
    this.registry = registry;
    this.executor = new ScheduledThreadPoolExecutor(2, r -> {
      Thread t = new Thread(r, "pgopt-alert-delivery");
      t.setDaemon(true);
      return t;
    });
    this.executor.setRemoveOnCancelPolicy(true);
  }

  public List<Channel> channels() {
    return channels;
  }

  public void dispatch(Notification n) {
    for (Channel c : channels) {
      if (queued.incrementAndGet() > MAX_QUEUED) {
        queued.decrementAndGet();
        count(c, "dropped");
        continue;
      }
      schedule(c, n, 1, Duration.ZERO);
    }
  }

  private void schedule(Channel c, Notification n, int attempt, Duration delay) {
    ScheduledExecutorService ex = executor;
    try {
      ex.schedule(() -> deliver(c, n, attempt), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      queued.decrementAndGet();
    }
  }

  private void deliver(Channel c, Notification n, int attempt) {
    try {
      c.send(n);
      queued.decrementAndGet();
      count(c, "delivered");
    } catch (Channel.Permanent e) {
      queued.decrementAndGet();
      count(c, "refused");
      LOG.warn("{}; not retried", e.getMessage());
    } catch (Exception e) {
      if (attempt >= attempts) {
        queued.decrementAndGet();
        count(c, "failed");
        LOG.warn("notification {} to {} failed after {} attempts: {}", n.id(), c.name(), attempt, e.getMessage());
        return;
      }
      count(c, "retried");
      schedule(c, n, attempt + 1, firstBackoff.multipliedBy(1L << (attempt - 1)));
    }
  }

  private void count(Channel c, String outcome) {
    Counter.builder("pgopt.alert.notifications").description("notification deliveries by channel and outcome")
        .tag("channel", c.name()).tag("outcome", outcome).register(registry).increment();
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
  }
}
