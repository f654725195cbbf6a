package dev.pgopt.client.observe;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * What to measure about statements: Micrometer timers (always, when this is configured), a slow-statement log above a
 * threshold, and a sampled EXPLAIN of slow statements. Not configuring it costs nothing: statements are then handed
 * out unwrapped.
 */
public final class StatementObservation {
  final MeterRegistry registry;
  final Duration slowThreshold;
  final SlowStatementSink slowSink;
  final double explainSampleRate;
  final int maxLabels;
  final double[] percentiles;
  final boolean histogram;
  final RandomGenerator random;
  final Clock clock;

  private StatementObservation(Builder b) {
    this.registry = b.registry;
    this.slowThreshold = b.slowThreshold;
    this.slowSink = b.slowSink;
    this.explainSampleRate = b.explainSampleRate;
    this.maxLabels = b.maxLabels;
    this.percentiles = b.percentiles;
    this.histogram = b.histogram;
    this.random = b.random;
    this.clock = b.clock;
  }

  public static Builder builder(MeterRegistry registry) {
    return new Builder(Objects.requireNonNull(registry, "registry"));
  }

  public MeterRegistry registry() {
    return registry;
  }

  public Duration slowThreshold() {
    return slowThreshold;
  }

  public SlowStatementSink slowSink() {
    return slowSink;
  }

  public double explainSampleRate() {
    return explainSampleRate;
  }

  public int maxLabels() {
    return maxLabels;
  }

  public double[] percentiles() {
    return percentiles.clone();
  }

  public boolean histogram() {
    return histogram;
  }

  public RandomGenerator random() {
    return random;
  }

  public Clock clock() {
    return clock;
  }

  public static final class Builder {
    private final MeterRegistry registry;
    private Duration slowThreshold;
    private SlowStatementSink slowSink = SlowStatementSink.systemLogger();
    private double explainSampleRate;
    private int maxLabels = 100;
    private double[] percentiles = {0.5, 0.95, 0.99};
    private boolean histogram;
    private RandomGenerator random = RandomGenerator.of("L64X128MixRandom");
    private Clock clock = Clock.systemUTC();

    private Builder(MeterRegistry registry) {
      this.registry = registry;
    }

    /** Log statements at or over this duration (default: no slow log). */
    public Builder slowThreshold(Duration threshold) {
      if (threshold != null && threshold.isNegative()) {
        throw new IllegalArgumentException("slowThreshold cannot be negative");
      }
      this.slowThreshold = threshold;
      return this;
    }

    public Builder slowSink(SlowStatementSink sink) {
      this.slowSink = Objects.requireNonNull(sink, "sink");
      return this;
    }

    /** Share of slow statements whose plan is captured with EXPLAIN (never ANALYZE), 0 to 1; default 0. */
    public Builder explainSampleRate(double rate) {
      if (rate < 0 || rate > 1) {
        throw new IllegalArgumentException("explainSampleRate must be between 0 and 1, got " + rate);
      }
      this.explainSampleRate = rate;
      return this;
    }

    /** Distinct labels kept as tags (default 100); later ones are tagged "other". */
    public Builder maxLabels(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxLabels must be at least 1, got " + max);
      }
      this.maxLabels = max;
      return this;
    }

    /** Client-side percentiles per timer (default p50, p95, p99); none with an empty array. */
    public Builder percentiles(double... percentiles) {
      this.percentiles = percentiles.clone();
      return this;
    }

    /** Also publish histogram buckets, for percentiles aggregated across instances in Prometheus. */
    public Builder histogram(boolean on) {
      this.histogram = on;
      return this;
    }

    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** For the slow log's timestamps. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public StatementObservation build() {
      return new StatementObservation(this);
    }
  }
}
