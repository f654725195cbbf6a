/**
 * One class per health check, each a query that collects facts and a pure evaluation of those facts against
 * thresholds.
 */
package dev.pgopt.analyze.health.checks;
