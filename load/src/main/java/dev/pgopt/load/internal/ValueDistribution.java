package dev.pgopt.load.internal;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The values of one column as its statistics describe them: each most common value with its frequency, the rest
 * spread evenly over the histogram's buckets. From a bucket, a dense integer column (ids, where most integers between
 * the smallest and largest value occur) gives any integer between its bounds, so the keys read spread as the
 * application's do; any other column gives one of the bucket's bounds, which are real values of it. NULLs are not
 * drawn: a comparison with NULL matches nothing.
 */
public final class ValueDistribution {
  private final List<String> common;
  private final double[] cumulative;
  private final List<String> bounds;
  private final long[] integerBounds;

  /**
   * @param commonValues most_common_vals, as text
   * @param commonFrequencies most_common_freqs (of all rows, NULLs included)
   * @param nullFraction null_frac
   * @param histogramBounds histogram_bounds, as text (empty when every value is a most common one)
   */
  public ValueDistribution(List<String> commonValues, List<Double> commonFrequencies, double nullFraction,
      List<String> histogramBounds) {
    this(commonValues, commonFrequencies, nullFraction, histogramBounds, 0);
  }

  /**
   * @param distinctValues how many distinct values the column has (pg_stats n_distinct resolved against the row
   *     count), or 0 when unknown: with integer bounds and at least half of the integers between the first and last
   *     bound present, draws are interpolated between bounds
   */
  public ValueDistribution(List<String> commonValues, List<Double> commonFrequencies, double nullFraction,
      List<String> histogramBounds, double distinctValues) {
    if (commonValues.size() != commonFrequencies.size()) {
      throw new IllegalArgumentException("most common values and frequencies differ in length");
    }
    if (commonValues.isEmpty() && histogramBounds.isEmpty()) {
      throw new IllegalArgumentException("no statistics: neither most common values nor a histogram");
    }
    this.common = List.copyOf(commonValues);
    this.bounds = List.copyOf(histogramBounds);
    this.integerBounds = denseIntegers(bounds, distinctValues);
    double nonNull = Math.max(1e-9, 1 - nullFraction);
    this.cumulative = new double[common.size()];
    double sum = 0;
    for (int i = 0; i < common.size(); i++) {
      sum += commonFrequencies.get(i) / nonNull;
      cumulative[i] = sum;
    }
    if (bounds.isEmpty() && sum > 0) {
      // every value is a common one: their frequencies are the whole
      for (int i = 0; i < cumulative.length; i++) {
        cumulative[i] /= sum;
      }
    }
  }

  /** The share of draws that are most common values. */
  public double commonShare() {
    return cumulative.length == 0 ? 0 : Math.min(1, cumulative[cumulative.length - 1]);
  }

  public String draw(RandomGenerator random) {
    double u = random.nextDouble();
    for (int i = 0; i < cumulative.length; i++) {
      if (u < cumulative[i]) {
        return common.get(i);
      }
    }
    if (bounds.isEmpty()) {
      return common.get(common.size() - 1);
    }
    // a bucket at random (each holds the same share of the remaining rows), then a value in it
    int bucket = random.nextInt(Math.max(1, bounds.size() - 1));
    if (integerBounds != null && bucket + 1 < integerBounds.length) {
      long lo = integerBounds[bucket];
      long hi = integerBounds[bucket + 1];
      return Long.toString(hi > lo ? lo + random.nextLong(hi - lo + 1) : lo);
    }
    return bounds.get(Math.min(bounds.size() - 1, bucket + (random.nextBoolean() ? 1 : 0)));
  }

  private static long[] denseIntegers(List<String> bounds, double distinctValues) {
    if (bounds.size() < 2 || distinctValues <= 0) {
      return null;
    }
    long[] out = new long[bounds.size()];
    try {
      for (int i = 0; i < out.length; i++) {
        out[i] = Long.parseLong(bounds.get(i));
      }
    } catch (NumberFormatException e) {
      return null;
    }
    double span = (double) out[out.length - 1] - out[0] + 1;
    return distinctValues >= 0.5 * span ? out : null;
  }
}
