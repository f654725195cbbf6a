/**
 * Collection from each target: activity every few seconds, statements, tables and indexes less often, and the series
 * derived from them.
 */
package dev.pgopt.monitor.internal.collect;
