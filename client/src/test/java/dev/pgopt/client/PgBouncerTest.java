package dev.pgopt.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.local.LocalPgBouncer;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class PgBouncerTest {

  @Test
  void transactionModeWorksWithPreparedStatementsAndPerTransactionTimeouts(TestCluster cluster, TestDatabase db) throws Exception {
    db.execute("CREATE TABLE t (id int PRIMARY KEY, v text)");
    try (LocalPgBouncer bouncer = cluster.startPgBouncer("transaction");
        PgoptDataSource ds = PgoptDataSource.builder()
            .primary("postgres://" + cluster.superuser() + ":" + cluster.password() + "@127.0.0.1:" + bouncer.port() + "/" + db.name())
            .pgBouncerTransactionMode(true).statementTimeouts(Duration.ofMillis(1500), Duration.ofSeconds(5))
            .poolSize(4, 1).build()) {
      for (int i = 0; i < 20; i++) {
        int id = i;
        ds.tx("insert", c -> {
          try (PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
            ps.setInt(1, id);
            ps.setString(2, "v" + id);
            return ps.executeUpdate();
          }
        });
      }
      String timeout = ds.tx("timeout", c -> {
        try (ResultSet rs = c.createStatement().executeQuery("SHOW statement_timeout")) {
          rs.next();
          return rs.getString(1);
        }
      }).value();
      assertThat(timeout).isEqualTo("1500ms");
      assertThat(ds.<Long>read("count", c -> {
        try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM t")) {
          rs.next();
          return rs.getLong(1);
        }
      })).isEqualTo(20);
    }
  }
}
