package dev.pgopt.client.cache.internal;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/** The cache's counts, kept in adders (cheap when nobody reads them) and published to Micrometer when a registry is given. */
public final class CacheMeters {
  public final LongAdder l1Hits = new LongAdder();
  public final LongAdder l1Misses = new LongAdder();
  public final LongAdder l2Hits = new LongAdder();
  public final LongAdder l2Misses = new LongAdder();
  public final LongAdder l2Errors = new LongAdder();
  public final LongAdder loads = new LongAdder();
  public final LongAdder loadFailures = new LongAdder();
  public final LongAdder loadNanos = new LongAdder();
  private Timer loadTimer;

  public void register(MeterRegistry registry, String namespace, L1Tier l1) {
    counter(registry, namespace, "l1", "hit", l1Hits);
    counter(registry, namespace, "l1", "miss", l1Misses);
    counter(registry, namespace, "l2", "hit", l2Hits);
    counter(registry, namespace, "l2", "miss", l2Misses);
    counter(registry, namespace, "l2", "error", l2Errors);
    FunctionCounter.builder("pgopt.cache.evictions", l1, L1Tier::evictions)
        .description("Entries L1 dropped for size or expiry").tag("cache", namespace).tag("tier", "l1").register(registry);
    Gauge.builder("pgopt.cache.size", l1, L1Tier::size).tag("cache", namespace).tag("tier", "l1").register(registry);
    FunctionCounter.builder("pgopt.cache.load.failures", loadFailures, LongAdder::sum).tag("cache", namespace)
        .register(registry);
    loadTimer = Timer.builder("pgopt.cache.load").description("Loads from the database on a miss in every tier")
        .tag("cache", namespace).publishPercentiles(0.5, 0.95, 0.99).register(registry);
  }

  private static void counter(MeterRegistry registry, String ns, String tier, String result, LongAdder adder) {
    FunctionCounter.builder("pgopt.cache.requests", adder, LongAdder::sum)
        .description("Cache lookups by tier and result").tag("cache", ns).tag("tier", tier).tag("result", result)
        .register(registry);
  }

  public void loaded(long nanos) {
    loads.increment();
    loadNanos.add(nanos);
    if (loadTimer != null) {
      loadTimer.record(nanos, TimeUnit.NANOSECONDS);
    }
  }
}
