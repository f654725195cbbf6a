/**
 * Benchmarks and load commands (JMH and plain mains), not run by the tests: the client against raw HikariCP, cache
 * tiers, monitor cost against postgres_exporter. The scripts under {@code scripts/bench-*} run them and write their
 * figures to docs/benchmarks.
 */
package dev.pgopt.bench;
