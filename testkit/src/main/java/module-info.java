/** JUnit 5 extensions that start real servers for tests. */
module dev.pgopt.testkit {
  requires transitive dev.pgopt.local;
  requires transitive java.sql;
  requires transitive org.junit.jupiter.api;
  requires org.postgresql.jdbc;

  exports dev.pgopt.testkit;
}
