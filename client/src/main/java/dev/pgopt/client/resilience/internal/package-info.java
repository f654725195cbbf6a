/**
 * Retries of transient failures with backoff, and which SQL states count as transient.
 */
package dev.pgopt.client.resilience.internal;
