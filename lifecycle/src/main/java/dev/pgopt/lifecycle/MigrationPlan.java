package dev.pgopt.lifecycle;

import java.util.List;

/**
 * What migrating a table to range partitions will do, found before anything is changed.
 *
 * @param pk the table's primary key columns (the sync trigger and the batches find rows by them)
 * @param newTable the partitioned table built beside it, renamed to the table's name at the swap
 * @param oldTable what the original is renamed to at the swap (kept, synced back, until {@code --finish})
 * @param partitions {@code CREATE TABLE ... PARTITION OF} statements, oldest first, then the default partition
 * @param indexes the table's indexes as they will be on the partitioned table
 * @param foreignKeys the table's own foreign keys, added to the partitioned table
 * @param changes what cannot be carried over as it is, and what is made instead (a primary key gains the
 *     partition column); executing needs the caller to accept them
 * @param refusals why it cannot be done at all; empty when it can
 */
public record MigrationPlan(String schema, String table, String column, String keyType, String interval, List<String> pk,
                            List<String> pkTypes, String newTable, String oldTable, long rowsEstimate, List<String> partitions,
                            List<String> indexes, List<String> foreignKeys, List<String> changes, List<String> refusals) {
  public MigrationPlan {
    pk = List.copyOf(pk);
    pkTypes = List.copyOf(pkTypes);
    partitions = List.copyOf(partitions);
    indexes = List.copyOf(indexes);
    foreignKeys = List.copyOf(foreignKeys);
    changes = List.copyOf(changes);
    refusals = List.copyOf(refusals);
  }

  public String qualified() {
    return dev.pgopt.connect.Quoting.ident(schema) + "." + dev.pgopt.connect.Quoting.ident(table);
  }
}
