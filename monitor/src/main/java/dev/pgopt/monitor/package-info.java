/**
 * {@code pgopt serve}: {@link dev.pgopt.monitor.Monitor}, its configuration and the YAML loader are the public API;
 * everything else is internal.
 */
package dev.pgopt.monitor;
