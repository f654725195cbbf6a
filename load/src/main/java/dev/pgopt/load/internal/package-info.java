/** Value draws from column statistics, the JDBC form of a statement, and the per-request timing of a run. */
package dev.pgopt.load.internal;
