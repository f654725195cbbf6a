/**
 * Retry settings applications can tune; the rest of resilience (breakers, transient-error classification) is
 * internal.
 */
package dev.pgopt.client.resilience;
