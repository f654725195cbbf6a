/**
 * Sentence embeddings in process (all-MiniLM-L6-v2, offline) for the sample dataset; shipped as pgopt-embed.jar
 * beside the CLI, so that only {@code sample embed} carries ONNX Runtime.
 */
package dev.pgopt.embed;
