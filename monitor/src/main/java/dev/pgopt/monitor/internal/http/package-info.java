/**
 * The HTTP API, dashboard and /metrics, with token checks, TLS from PEM files and API errors as JSON.
 */
package dev.pgopt.monitor.internal.http;
