package dev.pgopt.sample.internal;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/** Picks ranks 0..n-1 with probability proportional to 1/(rank+1)^exponent: a few items get most of the traffic. */
public final class Zipf {
  private final double[] cdf;

  public Zipf(int n, double exponent) {
    if (n < 1) {
      throw new IllegalArgumentException("Zipf needs at least one item");
    }
    cdf = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += 1.0 / Math.pow(i + 1, exponent);
      cdf[i] = sum;
    }
    for (int i = 0; i < n; i++) {
      cdf[i] /= sum;
    }
  }

  public int next(RandomGenerator random) {
    int i = Arrays.binarySearch(cdf, random.nextDouble());
    return Math.min(cdf.length - 1, i >= 0 ? i : -i - 1);
  }
}
