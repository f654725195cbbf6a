package dev.pgopt.client.search;

/**
 * A fused result.
 *
 * @param vectorRank 1-based rank among the vector candidates, or 0 if not among them
 * @param textRank 1-based rank among the full-text candidates, or 0 if not among them
 */
public record HybridHit<T>(T row, double score, int vectorRank, int textRank) {}
