/** Connection targets, passwords and session guards shared by every pgopt module. */
module dev.pgopt.connect {
  requires transitive java.sql;
  requires org.postgresql.jdbc;

  exports dev.pgopt.connect;
}
