/**
 * The monitor's core: per-target runtimes and the schedules that move a sample from collection to the store, alerts,
 * incidents and metrics.
 */
package dev.pgopt.monitor.internal;
