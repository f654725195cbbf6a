/**
 * Load from the database's own workload: {@link dev.pgopt.load.WorkloadMix} (the statement mix and parameter values
 * from pg_stat_statements and pg_stats), {@link dev.pgopt.load.LoadRun} (an open-loop run at a fixed arrival rate) and
 * its {@link dev.pgopt.load.LoadResult}.
 */
package dev.pgopt.load;
