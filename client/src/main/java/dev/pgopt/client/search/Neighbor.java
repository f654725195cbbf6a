package dev.pgopt.client.search;

/** A row and its distance to the query vector. */
public record Neighbor<T>(T row, double distance) {}
