/**
 * The sample AI-platform dataset and its workload, for the demo, tests and benchmarks; {@link
 * dev.pgopt.sample.EmbeddingFiller} is the seam to the embedding module.
 */
package dev.pgopt.sample;
