/**
 * What pgopt reads from a server: pg_stat_statements snapshots, plans from EXPLAIN behind a guard that refuses to run
 * or plan what could have side effects, and statement text made plannable.
 */
package dev.pgopt.collect;
