/** pgvector: inspect, tune, build, migrate; its advisor rules are provided to core's advisor. */
module dev.pgopt.vector {
  requires transitive dev.pgopt.core;
  requires java.desktop;
  requires org.postgresql.jdbc;

  exports dev.pgopt.vector;
  exports dev.pgopt.vector.build;
  exports dev.pgopt.vector.inspect;
  exports dev.pgopt.vector.migrate;
  exports dev.pgopt.vector.tune;

  provides dev.pgopt.advise.RuleProvider with dev.pgopt.vector.advise.VectorRules;
}
