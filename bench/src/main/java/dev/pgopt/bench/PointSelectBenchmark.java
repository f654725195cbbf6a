package dev.pgopt.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.pgopt.client.PgoptDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Point selects by primary key: raw HikariCP against PgoptDataSource on the same driver, pool size and database, in
 * the same run. PgoptDataSource adds route decision, lazy borrow, breaker permission and borrow counting.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Threads(4)
public class PointSelectBenchmark {
  private static final String SQL = "SELECT owner, balance FROM accounts WHERE id = ?";

  private BenchServers servers;
  private HikariDataSource hikari;
  private PgoptDataSource pgopt;
  private DataSource pgoptReader;

  @Setup(Level.Trial)
  public void start() throws Exception {
    servers = BenchServers.start(false);
    HikariConfig hc = servers.hikariConfig(10);
    hc.addDataSourceProperty("assumeMinServerVersion", "9.0");
    hikari = new HikariDataSource(hc);
    pgopt = PgoptDataSource.builder().primary(servers.url()).poolSize(10, 10).build();
    pgoptReader = pgopt.reader();
  }

  @TearDown(Level.Trial)
  public void stop() throws Exception {
    pgopt.close();
    hikari.close();
    servers.close();
  }

  private static String select(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(SQL)) {
      ps.setLong(1, ThreadLocalRandom.current().nextLong(1, BenchServers.ROWS + 1));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  @Benchmark
  public String rawHikari() throws SQLException {
    return select(hikari);
  }

  @Benchmark
  public String pgoptGetConnection() throws SQLException {
    return select(pgopt);
  }

  @Benchmark
  public String pgoptReader() throws SQLException {
    return select(pgoptReader);
  }

  @Benchmark
  public String pgoptReadCallback() throws SQLException {
    return pgopt.read("accounts.by_id", c -> {
      try (PreparedStatement ps = c.prepareStatement(SQL)) {
        ps.setLong(1, ThreadLocalRandom.current().nextLong(1, BenchServers.ROWS + 1));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getString(1);
        }
      }
    });
  }
}
