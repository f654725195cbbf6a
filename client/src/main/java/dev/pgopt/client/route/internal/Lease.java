package dev.pgopt.client.route.internal;

import java.sql.Connection;

/** A borrowed connection and the node it came from; give it back with {@link Node#returned()} after closing it. */
public record Lease(Node node, Connection connection) {}
