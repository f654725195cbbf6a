package dev.pgopt.vector.advise;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.vector.inspect.PgvectorMissingException;
import dev.pgopt.vector.inspect.VectorInventory;
import java.sql.SQLException;
import java.util.Optional;

/** Reads the inventory once per advise run (one AdviceContext) for all vector rules; empty without pgvector. */
final class SharedInventory {
  private AdviceContext readFor;
  private Optional<VectorInventory> inventory;

  synchronized Optional<VectorInventory> of(AdviceContext ctx) throws SQLException {
    if (ctx != readFor) {
      try {
        inventory = Optional.of(VectorInventory.read(ctx.connection(), ctx.guard(), ctx.serverVersionNum()));
      } catch (PgvectorMissingException e) {
        inventory = Optional.empty();
      }
      readFor = ctx;
    }
    return inventory;
  }
}
