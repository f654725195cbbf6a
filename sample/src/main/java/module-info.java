/** The sample dataset and its workload. */
module dev.pgopt.sample {
  requires transitive dev.pgopt.connect;
  requires org.postgresql.jdbc;

  exports dev.pgopt.sample;

  uses dev.pgopt.sample.EmbeddingFiller;
}
