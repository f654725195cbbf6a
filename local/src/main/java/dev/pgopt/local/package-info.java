/**
 * Private PostgreSQL, Redis and PgBouncer processes started from the system binaries on free ports, for the demo and
 * the test kit.
 */
package dev.pgopt.local;
