/**
 * Moving vector columns to halfvec online, in batches sized by time.
 */
package dev.pgopt.vector.migrate;
