package dev.pgopt.backup;

import java.time.Duration;

/**
 * Which backups a repository keeps: the newest {@code keepLast} always; older ones only while younger than
 * {@code maxAge} (null: no age limit, so exactly {@code keepLast} are kept). The newest backup is never removed.
 */
public record Retention(int keepLast, Duration maxAge) {
  public Retention {
    if (keepLast < 1) {
      throw new IllegalArgumentException("keep at least 1 backup, not " + keepLast);
    }
    if (maxAge != null && (maxAge.isNegative() || maxAge.isZero())) {
      throw new IllegalArgumentException("the maximum age must be positive");
    }
  }

  /** Keeps the last 7, whatever their age. */
  public static Retention defaults() {
    return new Retention(7, null);
  }
}
