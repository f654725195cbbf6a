/** {@code pgopt backup}: logical backups with a checksum manifest, retention, and restore drills that prove them. */
module dev.pgopt.backup {
  requires transitive dev.pgopt.connect;
  requires dev.pgopt.local;
  requires dev.pgopt.cloud;
  requires transitive com.fasterxml.jackson.databind;
  requires org.postgresql.jdbc;

  exports dev.pgopt.backup;
}
