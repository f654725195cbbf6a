/**
 * The JUnit 5 test kit: real servers for tests ({@link dev.pgopt.testkit.PostgresExtension}: a shared primary,
 * databases per class, replicas, PgBouncer and Redis on demand), and probes for waiting on conditions. Skipped as a
 * whole in the fast tier.
 */
package dev.pgopt.testkit;
