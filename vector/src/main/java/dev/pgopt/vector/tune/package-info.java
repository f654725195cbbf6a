/**
 * Recall measured against exact search: sweeps of ef_search or probes, build comparisons, and plots.
 */
package dev.pgopt.vector.tune;
