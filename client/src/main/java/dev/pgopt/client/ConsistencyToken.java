package dev.pgopt.client;

import java.util.Objects;

/**
 * A point in the primary's write-ahead log that a read must see: reads carrying a token go to a replica only once that
 * replica has replayed past it. Its text form ({@code 0/16B3740}, PostgreSQL's {@code pg_lsn}) travels across requests
 * and services, e.g. in an HTTP header.
 */
public final class ConsistencyToken implements Comparable<ConsistencyToken> {
  private static final ConsistencyToken PRIMARY_ONLY = new ConsistencyToken(Long.MAX_VALUE);
  private final long lsn;

  private ConsistencyToken(long lsn) {
    this.lsn = lsn;
  }

  public static ConsistencyToken ofLsn(long lsn) {
    if (lsn < 0) {
      throw new IllegalArgumentException("a WAL position cannot be negative: " + lsn);
    }
    return new ConsistencyToken(lsn);
  }

  /**
   * A token no replica can satisfy: reads go to the primary. Used when a commit's WAL position could not be read (the
   * connection broke right after COMMIT); its text form is {@code primary}.
   */
  public static ConsistencyToken primaryOnly() {
    return PRIMARY_ONLY;
  }

  public boolean requiresPrimary() {
    return lsn == Long.MAX_VALUE;
  }

  /** Parses the {@code pg_lsn} text form, {@code X/Y} in hexadecimal, or {@code primary}. */
  public static ConsistencyToken parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.equals("primary")) {
      return PRIMARY_ONLY;
    }
    int slash = text.indexOf('/');
    try {
      if (slash <= 0 || slash == text.length() - 1) {
        throw new NumberFormatException();
      }
      long high = Long.parseLong(text.substring(0, slash).strip(), 16);
      long low = Long.parseLong(text.substring(slash + 1).strip(), 16);
      if (high > 0xFFFFFFFFL || low > 0xFFFFFFFFL) {
        throw new NumberFormatException();
      }
      return new ConsistencyToken((high << 32) | low);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a consistency token (expected a WAL position like 0/16B3740): '" + text + "'");
    }
  }

  public long lsn() {
    return lsn;
  }

  /** The later of the two; {@code other} may be null. */
  public ConsistencyToken max(ConsistencyToken other) {
    return other == null || other.lsn <= lsn ? this : other;
  }

  @Override
  public int compareTo(ConsistencyToken o) {
    return Long.compareUnsigned(lsn, o.lsn);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConsistencyToken t && t.lsn == lsn;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(lsn);
  }

  @Override
  public String toString() {
    if (requiresPrimary()) {
      return "primary";
    }
    return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
  }
}
