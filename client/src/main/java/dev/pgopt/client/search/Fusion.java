package dev.pgopt.client.search;

/**
 * How the vector and full-text rankings are combined.
 *
 * <ul>
 *   <li>{@link #reciprocalRank(int)}: score = Σ 1 / (k + rank) over the lists a row appears in (k = 60 by default, as
 *       in Cormack et al.); needs no score calibration, the robust default.
 *   <li>{@link #weighted(double)}: α · similarity + (1 − α) · text rank, each min-max normalized within its candidate
 *       list (a row missing from a list scores 0 there).
 * </ul>
 */
public sealed interface Fusion {
  record ReciprocalRank(int k) implements Fusion {
    public ReciprocalRank {
      if (k < 1) {
        throw new IllegalArgumentException("RRF k must be at least 1, got " + k);
      }
    }
  }

  record Weighted(double vectorWeight) implements Fusion {
    public Weighted {
      if (vectorWeight < 0 || vectorWeight > 1) {
        throw new IllegalArgumentException("vector weight must be between 0 and 1, got " + vectorWeight);
      }
    }
  }

  static Fusion reciprocalRank() {
    return new ReciprocalRank(60);
  }

  static Fusion reciprocalRank(int k) {
    return new ReciprocalRank(k);
  }

  static Fusion weighted(double vectorWeight) {
    return new Weighted(vectorWeight);
  }
}
