package dev.pgopt.collect;

import java.time.Instant;
import java.util.List;

/**
 * pg_stat_statements for one database at one instant, with what pg_stat_statements_info (PG 14+) says about resets
 * and evictions. {@code statsReset} and {@code deallocations} are null before PG 14.
 */
public record StatementSnapshot(Instant takenAt, String database, long dbId, int serverVersionNum, Instant statsReset,
                                Long deallocations, Long maxEntries, List<StatementEntry> entries) {}
