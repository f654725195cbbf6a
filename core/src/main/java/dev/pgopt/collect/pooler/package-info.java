/**
 * What a running connection pooler reports about itself: PgBouncer's admin console ({@code SHOW POOLS}, {@code SHOW
 * DATABASES}, {@code SHOW CONFIG}) read into {@link dev.pgopt.collect.pooler.PoolerSnapshot}.
 */
package dev.pgopt.collect.pooler;
