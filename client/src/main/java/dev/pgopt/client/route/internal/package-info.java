/**
 * Routing itself: nodes and their pools, health checks, replica selection by latency or load, leases, and the
 * decision made before a connection is touched.
 */
package dev.pgopt.client.route.internal;
