/**
 * Workload windows: two statement snapshots turned into what ran between them (top statements by time, calls, rows).
 */
package dev.pgopt.analyze.workload;
