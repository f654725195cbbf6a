package dev.pgopt.load;

import java.util.List;
import java.util.Map;

/**
 * What a run measured (docs/bench.md). Latency runs from when a request was due by the schedule to when its last row
 * was read, so time spent waiting for a connection behind slow requests counts (coordinated omission corrected);
 * service time runs from when it was sent.
 *
 * @param scheduled requests due in the measured window
 * @param completed of those, answered without error
 * @param failed of those, answered with an error
 * @param unsent of those, never sent: still waiting when the drain limit ran out (the server could not keep up)
 * @param achievedRate requests sent per second over the measured window
 * @param lag how late requests were sent against the schedule
 * @param timeline the run second by second, warm-up included
 */
public record LoadResult(double targetRate, double durationSeconds, int clients, long scheduled, long completed,
    long failed, long unsent, double achievedRate, Percentiles latency, Percentiles serviceTime, Percentiles lag,
    List<StatementResult> statements, Map<String, Long> errors, List<WorkloadMix.Skipped> skipped,
    List<Second> timeline) {

  /** One second of the run (warm-up included): requests sent in it, and the latency of those answered in it (ms). */
  public record Second(long second, long sent, long failed, double p50, double p95, double p99) {}

  /** Milliseconds. */
  public record Percentiles(double p50, double p90, double p95, double p99, double p999, double max, double mean) {}

  public record StatementResult(long queryId, String query, double share, long completed, long failed,
      Percentiles latency) {}
}
