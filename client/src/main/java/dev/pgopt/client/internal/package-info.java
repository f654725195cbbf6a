/**
 * Assembly of the data source: settings, cluster discovery, node construction, WAL positions for read-your-writes.
 */
package dev.pgopt.client.internal;
