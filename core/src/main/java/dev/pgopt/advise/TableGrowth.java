package dev.pgopt.advise;

import java.util.Map;
import java.util.Optional;

/**
 * How fast tables grew, measured over a history (a pgopt monitor's store) rather than guessed from one window of
 * statements. Rules that size by growth ({@code table.partition_candidate}) prefer it when it is there.
 */
@FunctionalInterface
public interface TableGrowth {
  /**
   * One table's growth.
   *
   * @param bytesPerDay the least-squares slope of its total size over the history
   * @param days how much history the slope is drawn through
   * @param points how many sizes were kept in that time
   * @param source where it comes from, for the evidence ("monitor history of target app")
   */
  record Measured(double bytesPerDay, double days, int points, String source) {}

  /** No history: rules fall back to what the workload window shows. */
  TableGrowth NONE = (schema, table) -> Optional.empty();

  Optional<Measured> of(String schema, String table);

  /** From sizes read ahead, by {@code "schema.table"}. */
  static TableGrowth of(Map<String, Measured> bySchemaTable) {
    Map<String, Measured> copy = Map.copyOf(bySchemaTable);
    return (schema, table) -> Optional.ofNullable(copy.get(schema + "." + table));
  }
}
