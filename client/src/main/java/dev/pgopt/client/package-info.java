/**
 * The application library's entry: {@link dev.pgopt.client.PgoptDataSource}, a DataSource that routes each statement
 * to the primary or a replica with read-your-writes, wrapped by resilience, the query cache and observation, in the
 * order a request meets them.
 */
package dev.pgopt.client;
