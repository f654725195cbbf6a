package dev.pgopt.analyze.workload;

import dev.pgopt.collect.StatementCounters;
import dev.pgopt.collect.StatementEntry;

/**
 * What one statement did in a window. {@code sinceEntry}: the entry appeared (or was reset or re-created after an
 * eviction) inside the window, so the counters start at that moment rather than at the window's start.
 */
public record StatementDelta(StatementEntry entry, StatementCounters counters, boolean sinceEntry) {}
