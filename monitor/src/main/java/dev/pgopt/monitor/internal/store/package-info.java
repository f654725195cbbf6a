/**
 * The history store: a pgopt schema migrated by Flyway, time-partitioned tables, downsampling, and one writer thread
 * that sets aside a row the database refuses instead of stopping.
 */
package dev.pgopt.monitor.internal.store;
