/**
 * The engine: collect → analyze → advise → apply → verify. Implementation packages ({@code collect.internal},
 * {@code analyze.health.checks}) are not exported.
 */
module dev.pgopt.core {
  requires transitive dev.pgopt.connect;
  requires transitive dev.pgopt.cloud;
  requires transitive com.fasterxml.jackson.databind;
  requires org.postgresql.jdbc;

  exports dev.pgopt.collect;
  exports dev.pgopt.collect.pooler;
  exports dev.pgopt.collect.platform;
  exports dev.pgopt.analyze.health;
  exports dev.pgopt.analyze.plan;
  exports dev.pgopt.analyze.workload;
  exports dev.pgopt.analyze.pooler;
  exports dev.pgopt.analyze.cost;
  exports dev.pgopt.advise;
  exports dev.pgopt.advise.rules;
  exports dev.pgopt.advise.rules.security;
  exports dev.pgopt.advise.whatif;
  exports dev.pgopt.advise.prove;
  exports dev.pgopt.advise.pooler;
  exports dev.pgopt.advise.platform;
  exports dev.pgopt.apply;
  exports dev.pgopt.verify;

  uses dev.pgopt.advise.RuleProvider;
}
