package dev.pgopt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.local.LocalPgBouncer;
import dev.pgopt.local.LocalRedis;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class TestKitTest {

  @Test
  void databaseHasTheExtensionsAndStatementStatistics(TestDatabase db) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      ResultSet rs = s.executeQuery("SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension");
      rs.next();
      assertThat(rs.getString(1)).contains("hypopg", "pg_stat_statements", "vector");
      rs = s.executeQuery("SELECT count(*) FROM pg_stat_statements");
      rs.next();
      assertThat(rs.getLong(1)).isPositive();
    }
  }

  @Test
  void sharedClusterListensOnAFreeLoopbackPort(TestCluster cluster, TestDatabase db) {
    assertThat(cluster.port()).isNotEqualTo(5432);
    assertThat(db.cluster()).isSameAs(cluster);
  }

  @Test
  void replicaStreamsFromThePrimary(TestCluster cluster, TestDatabase db) throws Exception {
    db.execute("CREATE TABLE replicated(id int)", "INSERT INTO replicated VALUES (1), (2), (3)");
    try (TestCluster replica = cluster.startReplica()) {
      try (Connection c = replica.connect(db.name()); Statement s = c.createStatement()) {
        ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()");
        rs.next();
        assertThat(rs.getBoolean(1)).isTrue();
        db.execute("INSERT INTO replicated VALUES (4)");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long rows = 0;
        while (rows != 4 && System.nanoTime() < deadline) {
          rs = s.executeQuery("SELECT count(*) FROM replicated");
          rs.next();
          rows = rs.getLong(1);
          Thread.sleep(50);
        }
        assertThat(rows).isEqualTo(4);
      }
      try (Connection c = cluster.connect("postgres"); Statement s = c.createStatement()) {
        ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'");
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(1);
      }
    }
  }

  @Test
  void pgBouncerPoolsConnectionsToTheCluster(TestCluster cluster, TestDatabase db) throws Exception {
    try (LocalPgBouncer bouncer = cluster.startPgBouncer("transaction")) {
      Properties p = new Properties();
      p.setProperty("user", cluster.superuser());
      p.setProperty("password", cluster.password());
      p.setProperty("prepareThreshold", "0");
      try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + bouncer.port() + "/" + db.name(), p);
           Statement s = c.createStatement()) {
        ResultSet rs = s.executeQuery("SELECT current_database(), inet_server_port()");
        rs.next();
        assertThat(rs.getString(1)).isEqualTo(db.name());
        assertThat(rs.getInt(2)).isEqualTo(cluster.port());
      }
    }
  }

  @Test
  void redisAnswersPing(LocalRedis redis) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", redis.port())) {
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      assertThat(in.readLine()).isEqualTo("+PONG");
    }
  }
}
