/**
 * The {@code vector.*} rules: missing ANN indexes, operator class mismatches, filtered recall, IVFFlat parameters,
 * build memory, HNSW growth, halfvec candidates.
 */
package dev.pgopt.vector.advise;
