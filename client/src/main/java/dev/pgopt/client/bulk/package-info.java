/**
 * Bulk writes: batched inserts and COPY, including vectors.
 */
package dev.pgopt.client.bulk;
