/** {@code pgopt bench}: the database's own workload replayed at an arrival rate, latency measured without coordinated omission. */
module dev.pgopt.load {
  requires transitive dev.pgopt.core;
  requires HdrHistogram;
  requires org.postgresql.jdbc;

  exports dev.pgopt.load;
}
