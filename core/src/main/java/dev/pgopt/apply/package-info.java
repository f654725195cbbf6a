/**
 * Applying findings safely: dry run first, CONCURRENTLY, lock and statement timeouts, an audit log in the database,
 * leftovers of interrupted builds reconciled, and migration files for teams that apply through their own tooling.
 */
package dev.pgopt.apply;
