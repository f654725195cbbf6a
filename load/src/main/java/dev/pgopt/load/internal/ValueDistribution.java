package dev.pgopt.load.internal;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The values of one column as its statistics describe them: each most common value with its frequency, the rest
 * spread evenly over the histogram's buckets (a bucket's bounds are real values of the column, so every draw is in its
 * domain). NULLs are not drawn: a comparison with NULL matches nothing.
 */
public final class ValueDistribution {
  private final List<String> common;
  private final double[] cumulative;
  private final List<String> bounds;

  /**
   * @param commonValues most_common_vals, as text
   * @param commonFrequencies most_common_freqs (of all rows, NULLs included)
   * @param nullFraction null_frac
   * @param histogramBounds histogram_bounds, as text (empty when every value is a most common one)
   */
  public ValueDistribution(List<String> commonValues, List<Double> commonFrequencies, double nullFraction,
      List<String> histogramBounds) {
    if (commonValues.size() != commonFrequencies.size()) {
      throw new IllegalArgumentException("most common values and frequencies differ in length");
    }
    if (commonValues.isEmpty() && histogramBounds.isEmpty()) {
      throw new IllegalArgumentException("no statistics: neither most common values nor a histogram");
    }
    this.common = List.copyOf(commonValues);
    this.bounds = List.copyOf(histogramBounds);
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
    // a bucket at random, then one of its bounds: each bucket holds the same share of the remaining rows
    int bucket = random.nextInt(Math.max(1, bounds.size() - 1));
    return bounds.get(Math.min(bounds.size() - 1, bucket + (random.nextBoolean() ? 1 : 0)));
  }
}
