package dev.pgopt.client.search;

/** pgvector's distance operators (smaller is nearer for all three; inner product is negated by pgvector). */
public enum Distance {
  COSINE("<=>"),
  L2("<->"),
  INNER_PRODUCT("<#>");

  private final String operator;

  Distance(String operator) {
    this.operator = operator;
  }

  public String operator() {
    return operator;
  }
}
