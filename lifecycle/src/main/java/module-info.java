/**
 * Data lifecycle: time-partitioned tables kept supplied with partitions ahead, and retention that detaches old
 * partitions, archives them with a manifest and a checksum, proves the archive restores to the same rows, and only
 * then drops them.
 */
module dev.pgopt.lifecycle {
  requires transitive dev.pgopt.core;
  requires org.postgresql.jdbc;

  exports dev.pgopt.lifecycle;
}
