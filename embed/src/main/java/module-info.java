/** {@code pgopt sample embed}'s model (ONNX Runtime, all-MiniLM-L6-v2), kept out of the CLI jar; found by ServiceLoader. */
module dev.pgopt.embed {
  requires dev.pgopt.sample;
  requires langchain4j.core;
  requires langchain4j.embeddings;
  requires langchain4j.embeddings.all.minilm.l6.v2.q;
  requires org.postgresql.jdbc;

  provides dev.pgopt.sample.EmbeddingFiller with dev.pgopt.embed.SampleEmbeddings;
}
