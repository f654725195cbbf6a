package dev.pgopt.monitor.internal.collect;

import dev.pgopt.collect.StatementSnapshot;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the slow collector saw: pg_stat_statements, tables, indexes, the database size and replication slots. Sizes of
 * tables and indexes come from {@code pg_class.relpages} (as of the last VACUUM or ANALYZE), which costs no file
 * system calls even with tens of thousands of relations.
 */
public record SlowSnapshot(Instant takenAt, Optional<StatementSnapshot> statements, String statementsNote,
                           List<TableRow> tables, List<IndexRow> indexes, long databaseBytes, List<SlotRow> slots) {

  public record TableRow(String schema, String name, long liveTuples, long deadTuples, long modifiedSinceAnalyze,
                         long sequentialScans, long indexScans, long bytes, Instant lastVacuum, Instant lastAnalyze) {}

  public record IndexRow(String schema, String table, String name, long scans, long bytes, boolean unique,
                         boolean constraint, boolean valid) {}

  public record SlotRow(String name, String type, boolean active, Long retainedBytes) {}
}
