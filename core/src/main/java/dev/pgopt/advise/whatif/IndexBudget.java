package dev.pgopt.advise.whatif;

import dev.pgopt.connect.Quantities;

/**
 * How much index storage {@code index.missing} may propose: a size, or a percentage of the database size.
 * Exactly one of the two is set.
 */
public record IndexBudget(Long bytes, Double percentOfDatabase) {
  public static final IndexBudget DEFAULT = new IndexBudget(null, 20.0);

  /** "500MB", "2GB", or "10%". */
  public static IndexBudget parse(String text) {
    String t = text.strip();
    if (t.endsWith("%")) {
      double p = Double.parseDouble(t.substring(0, t.length() - 1).strip());
      if (p <= 0 || p > 1000) {
        throw new IllegalArgumentException("'" + text + "' must be a percentage above 0");
      }
      return new IndexBudget(null, p);
    }
    return new IndexBudget((long) Quantities.parseBytes(t), null);
  }

  public long resolve(long databaseBytes) {
    return bytes != null ? bytes : (long) (databaseBytes * percentOfDatabase / 100);
  }
}
