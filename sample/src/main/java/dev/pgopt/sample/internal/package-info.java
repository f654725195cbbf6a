/**
 * Generating the dataset (COPY text, Zipf-distributed keys) and the workload's statements.
 */
package dev.pgopt.sample.internal;
