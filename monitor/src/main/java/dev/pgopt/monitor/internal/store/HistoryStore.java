package dev.pgopt.monitor.internal.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.pgopt.connect.Connections;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.SessionOptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * History in PostgreSQL: a {@code pgopt} schema migrated by Flyway, time-partitioned tables, and one writer thread.
 *
 * <p>Collectors hand rows to {@link #write} and never wait: the writer drains the buffer in transactions. When the
 * store is down or its disk is full, rows stay buffered (up to {@code buffered_rows}; the oldest are dropped and
 * counted beyond that) and the writer retries with backoff, so an outage costs history, never the process or the
 * collection schedule.
 */
public final class HistoryStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HistoryStore.class);

  /** One unit of buffered work: applied inside the writer's transaction. */
  public interface Write {
    int rows();

    void apply(Connection c) throws SQLException;

    /** Smaller writes that together do the same, to find the row that fails; itself when it cannot be split. */
    default List<Write> split() {
      return List.of(this);
    }
  }

  /** Work that reads the store. */
  @FunctionalInterface
  public interface Read<T> {
    T run(Connection c) throws SQLException;
  }

  private final HikariDataSource pool;
  private final String display;
  private final Clock clock;
  private final Duration rawRetention;
  private final Duration hourlyRetention;
  private final int maxBufferedRows;
  private final Deque<Write> buffer = new ArrayDeque<>();
  private final AtomicBoolean up = new AtomicBoolean(false);
  private final AtomicBoolean migrated = new AtomicBoolean(false);
  private final Counter droppedRows;
  private final Counter writeFailures;
  private final Counter rejectedRows;
  private final Thread writer;
  private int bufferedRows;
  private boolean inFlight;
  private volatile boolean closed;
  private volatile String lastError = "";
  private Instant nextHousekeeping = Instant.EPOCH;

  public HistoryStore(DatabaseTarget target, Duration rawRetention, Duration hourlyRetention, int maxBufferedRows,
                      Clock clock, MeterRegistry registry) {
    this.display = target.display();
    this.clock = clock;
    this.rawRetention = rawRetention;
    this.hourlyRetention = hourlyRetention;
    this.maxBufferedRows = maxBufferedRows;
    SessionOptions options = new SessionOptions(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(5),
        "pgopt-monitor-store");
    Properties props = Connections.jdbcProperties(target, options);
    props.setProperty("reWriteBatchedInserts", "true");
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(Connections.jdbcUrl(target, target.endpoints().get(0)));
    hc.setDataSourceProperties(props);
    hc.setMaximumPoolSize(3);
    hc.setMinimumIdle(0);
    hc.setConnectionTimeout(3000);
    hc.setInitializationFailTimeout(-1);
    hc.setPoolName("pgopt-store");
    hc.setConnectionInitSql("SET TIME ZONE 'UTC'");
    this.pool = new HikariDataSource(hc);
    this.droppedRows = Counter.builder("pgopt.store.dropped.rows").description("history rows dropped because the store was unavailable too long").register(registry);
    this.writeFailures = Counter.builder("pgopt.store.write.failures").description("failed history write transactions").register(registry);
    this.rejectedRows = Counter.builder("pgopt.store.rejected.rows")
        .description("history rows set aside because the store refused them (bad data); the rest were written").register(registry);
    io.micrometer.core.instrument.Gauge.builder("pgopt.store.up", up, b -> b.get() ? 1 : 0).description("1 when the history store accepts writes").register(registry);
    io.micrometer.core.instrument.Gauge.builder("pgopt.store.buffered.rows", this, s -> s.buffered()).description("history rows waiting for the store").register(registry);
    this.writer = new Thread(this::writeLoop, "pgopt-store-writer");
    this.writer.setDaemon(true);
  }

  /** Migrates the schema now if the store answers; otherwise the writer keeps trying. Returns whether it is ready. */
  public boolean start() {
    boolean ready = tryMigrate();
    writer.start();
    return ready;
  }

  public boolean up() {
    return up.get();
  }

  public synchronized int buffered() {
    return bufferedRows;
  }

  /** Queues {@code w}; never blocks. Beyond the buffer limit the oldest queued work is dropped and counted. */
  public void write(Write w) {
    synchronized (this) {
      buffer.addLast(w);
      bufferedRows += w.rows();
      while (bufferedRows > maxBufferedRows && buffer.size() > 1) {
        Write old = buffer.pollFirst();
        bufferedRows -= old.rows();
        droppedRows.increment(old.rows());
      }
      notifyAll();
    }
  }

  /** Reads from the store; a store that is down is a {@link StoreUnavailableException} naming it. */
  public <T> T read(Read<T> work) throws StoreUnavailableException {
    if (!migrated.get()) {
      throw new StoreUnavailableException("history store " + display + " is not ready: " + lastError, null);
    }
    try (Connection c = pool.getConnection()) {
      c.setReadOnly(true);
      try (PreparedStatement ps = c.prepareStatement("SET statement_timeout = '10s'")) {
        ps.execute();
      }
      return work.run(c);
    } catch (SQLException e) {
      throw new StoreUnavailableException("history store " + display + " failed: " + firstLine(e), e);
    }
  }

  /** A connection held by the caller (an advisory lock lives as long as it). */
  public Connection connection() throws StoreUnavailableException {
    try {
      return pool.getConnection();
    } catch (SQLException e) {
      throw new StoreUnavailableException("history store " + display + " failed: " + firstLine(e), e);
    }
  }

  /** Writes everything buffered now (tests, shutdown). Returns whether the buffer is empty afterwards. */
  public boolean flush(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      notifyAll();
    }
    while (System.nanoTime() < deadline) {
      synchronized (this) {
        if (buffer.isEmpty() && !inFlight) {
          return true;
        }
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  private boolean tryMigrate() {
    if (migrated.get()) {
      return true;
    }
    try {
      // the pgopt schema may already hold pgopt.actions (the apply audit log) when a target is also the store:
      // baseline such a schema at version 0 so V1 still runs
      Flyway.configure().dataSource(pool).schemas("pgopt").table("schema_history")
          .baselineOnMigrate(true).baselineVersion("0").locations("classpath:db/monitor").load().migrate();
      housekeeping(true);
      migrated.set(true);
      up.set(true);
      lastError = "";
      return true;
    } catch (RuntimeException | SQLException e) {
      up.set(false);
      lastError = firstLine(e);
      LOG.warn("history store {} is not available: {}; collection goes on and history is buffered", display, lastError);
      return false;
    }
  }

  private void housekeeping(boolean force) throws SQLException {
    Instant now = clock.instant();
    if (!force && now.isBefore(nextHousekeeping)) {
      return;
    }
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(true);
      Partitions.ensure(c, now, Duration.ofDays(1));
      Downsampling.rollUp(c, now);
      List<String> dropped = Partitions.prune(c, now, rawRetention, hourlyRetention);
      if (!dropped.isEmpty()) {
        LOG.info("history retention dropped partitions {}", dropped);
      }
    }
    nextHousekeeping = now.plus(Duration.ofMinutes(10));
  }

  private void writeLoop() {
    long backoffMs = 500;
    while (!closed) {
      List<Write> batch = new ArrayList<>();
      synchronized (this) {
        while (buffer.isEmpty() && !closed) {
          try {
            wait(1000);
          } catch (InterruptedException e) {
            return;
          }
          if (buffer.isEmpty()) {
            break;
          }
        }
        int rows = 0;
        while (!buffer.isEmpty() && rows < 5000) {
          Write w = buffer.pollFirst();
          rows += w.rows();
          batch.add(w);
        }
        bufferedRows -= rows;
        inFlight = !batch.isEmpty();
      }
      try {
        if (!tryMigrate()) {
          throw new SQLException(lastError);
        }
        housekeeping(false);
        if (!batch.isEmpty()) {
          try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
              for (Write w : batch) {
                w.apply(c);
              }
              c.commit();
            } catch (SQLException | RuntimeException e) {
              c.rollback();
              if (!refusedData(e)) {
                throw e;
              }
              // the store answers but refuses something in the batch: write all the rest, set the culprits aside
              writeIsolating(c, batch);
              c.commit();
            }
          }
        }
        if (!up.getAndSet(true)) {
          LOG.info("history store {} is writable again", display);
        }
        lastError = "";
        backoffMs = 500;
        synchronized (this) {
          inFlight = false;
        }
      } catch (SQLException | RuntimeException e) {
        writeFailures.increment();
        lastError = firstLine(e);
        if (e instanceof SQLException sql && ("3F000".equals(sql.getSQLState()) || "42P01".equals(sql.getSQLState()))) {
          // the schema or a table went missing (DROP SCHEMA pgopt CASCADE to start over): migrate again before the
          // retry, so history resumes instead of failing at every attempt
          migrated.set(false);
          nextHousekeeping = Instant.MIN;
        }
        if (up.getAndSet(false)) {
          LOG.warn("history store {} failed a write: {}; buffering and retrying", display, lastError);
        }
        synchronized (this) {
          for (int i = batch.size() - 1; i >= 0; i--) {
            buffer.addFirst(batch.get(i));
            bufferedRows += batch.get(i).rows();
          }
          inFlight = false;
          try {
            wait(backoffMs);
          } catch (InterruptedException ie) {
            return;
          }
        }
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
    }
  }

  /** Applies each write under a savepoint, splitting those that fail until the failing rows are found. */
  private void writeIsolating(Connection c, List<Write> writes) throws SQLException {
    for (Write w : writes) {
      Savepoint sp = c.setSavepoint("pgopt_isolate");
      try {
        w.apply(c);
        c.releaseSavepoint(sp);
      } catch (SQLException | RuntimeException e) {
        c.rollback(sp);
        if (!refusedData(e)) {
          throw e;
        }
        List<Write> parts = w.split();
        if (parts.size() > 1) {
          writeIsolating(c, parts);
        } else {
          rejectedRows.increment(w.rows());
          LOG.warn("history store {} refused {} row(s), set aside: {}", display, w.rows(), firstLine(e));
        }
      }
    }
  }

  /**
   * Whether the store refused the data itself (a value it cannot hold, a duplicate, a constraint): retrying cannot
   * help, so the rows are set aside. Everything else (connection, resources, shutdown, locks, a schema that went
   * missing) is retried with the rows kept.
   */
  static boolean refusedData(Throwable e) {
    if (!(e instanceof SQLException sql)) {
      return e instanceof RuntimeException;
    }
    String state = sql.getSQLState();
    if (state == null || state.length() < 2) {
      return false;
    }
    if (state.equals("42P01") || state.equals("3F000")) {
      return false;
    }
    return switch (state.substring(0, 2)) {
      case "21", "22", "23", "42", "44" -> true;
      default -> false;
    };
  }

  static Timestamp ts(Instant i) {
    return Timestamp.from(i);
  }

  static Optional<Instant> instant(ResultSet rs, int col) throws SQLException {
    Timestamp t = rs.getTimestamp(col);
    return Optional.ofNullable(t).map(Timestamp::toInstant);
  }

  static String firstLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.lines().findFirst().orElse(m);
  }

  @Override
  public void close() {
    flush(Duration.ofSeconds(3));
    closed = true;
    writer.interrupt();
    try {
      writer.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pool.close();
  }
}
