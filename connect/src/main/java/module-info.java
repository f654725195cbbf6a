/** Connection targets, passwords and session guards shared by every pgopt module. */
module dev.pgopt.connect {
  requires transitive java.sql;
  requires org.postgresql.jdbc;
  requires com.ongres.scram.client;
  requires com.ongres.scram.common;

  exports dev.pgopt.connect;
}
