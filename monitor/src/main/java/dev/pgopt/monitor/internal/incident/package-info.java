/**
 * Incident detection and guarded response: runaway queries, lock chains, saturation, broken replication; cancel or
 * terminate only within guardrails and an action budget.
 */
package dev.pgopt.monitor.internal.incident;
