/**
 * What routing exposes: node roles, states and transitions, listeners, and what to do when no replica can serve a
 * read.
 */
package dev.pgopt.client.route;
