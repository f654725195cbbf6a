/**
 * Prometheus metrics per target, bounded: no per-table or per-query labels by default.
 */
package dev.pgopt.monitor.internal.metrics;
