package dev.pgopt.analyze.cost;

/**
 * One line of a monthly cost: what, how much, and how it was worked out.
 *
 * @param kind storage, table, wal, backup, compute or saving
 * @param monthly in the price table's currency; negative never (a saving is its own kind)
 */
public record CostLine(String kind, String item, double monthly, String basis) {}
