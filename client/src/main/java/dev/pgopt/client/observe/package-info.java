/**
 * Query observability for applications: statement labels, slow-statement sinks, observations, and the reporter that
 * sends the client's view to {@code pgopt serve}.
 */
package dev.pgopt.client.observe;
