/**
 * A running PgBouncer judged from its admin console and the server behind it: waiting clients, wait time, pool
 * saturation, server connections against {@code max_connections}, timeouts that disagree with the server's.
 */
package dev.pgopt.analyze.pooler;
