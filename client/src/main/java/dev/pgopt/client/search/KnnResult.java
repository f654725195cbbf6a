package dev.pgopt.client.search;

import java.util.List;

/**
 * The nearest rows, nearest first.
 *
 * @param complete whether {@code k} rows came back, or every row that matches the filter did
 * @param exactFallback whether the index scan came back short and an exact scan supplied the rows
 * @param note why fewer than k rows came back (only that many match), or null
 */
public record KnnResult<T>(List<Neighbor<T>> neighbors, boolean complete, boolean exactFallback, String note) {}
