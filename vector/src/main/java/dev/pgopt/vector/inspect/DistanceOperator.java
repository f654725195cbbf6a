package dev.pgopt.vector.inspect;

import java.util.Optional;

/** pgvector's distance operators and the operator classes whose indexes serve them. */
public enum DistanceOperator {
  L2("<->", "l2_ops"),
  INNER_PRODUCT("<#>", "ip_ops"),
  COSINE("<=>", "cosine_ops"),
  L1("<+>", "l1_ops"),
  HAMMING("<~>", "hamming_ops"),
  JACCARD("<%>", "jaccard_ops");

  private final String symbol;
  private final String opclassSuffix;

  DistanceOperator(String symbol, String opclassSuffix) {
    this.symbol = symbol;
    this.opclassSuffix = opclassSuffix;
  }

  public String symbol() {
    return symbol;
  }

  /** The operator an opclass such as {@code vector_cosine_ops} or {@code bit_hamming_ops} serves. */
  public static Optional<DistanceOperator> servedBy(String opclass) {
    for (DistanceOperator o : values()) {
      if (opclass.endsWith("_" + o.opclassSuffix)) {
        return Optional.of(o);
      }
    }
    return Optional.empty();
  }

  public static Optional<DistanceOperator> ofSymbol(String symbol) {
    for (DistanceOperator o : values()) {
      if (o.symbol.equals(symbol)) {
        return Optional.of(o);
      }
    }
    return Optional.empty();
  }

  /** The opclass for this operator on a column type: vector_cosine_ops, halfvec_l2_ops, bit_hamming_ops... */
  public String opclassFor(String type) {
    return (type.equals("bit") ? "bit" : type) + "_" + opclassSuffix;
  }
}
