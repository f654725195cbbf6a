package dev.pgopt.vector.advise;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Rule;
import dev.pgopt.vector.inspect.VectorInventory;
import java.sql.SQLException;
import java.util.List;

/** A vector rule that reads the run's shared inventory; without pgvector it finds nothing. */
abstract class InventoryRule implements Rule {
  private final SharedInventory shared;

  InventoryRule(SharedInventory shared) {
    this.shared = shared;
  }

  @Override
  public final List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    return shared.of(ctx).map(this::evaluate).orElse(List.of());
  }

  abstract List<Finding> evaluate(VectorInventory inventory);
}
