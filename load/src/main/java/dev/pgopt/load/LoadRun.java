package dev.pgopt.load;

import dev.pgopt.load.internal.RequestClock;
import dev.pgopt.load.internal.StatementTemplate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * An open-loop run of a {@link WorkloadMix}: requests are due at a fixed rate whatever the server does, each taken by
 * the next free connection, so a slow server shows as latency and schedule lag, not as fewer requests (the mistake a
 * closed loop, where each client waits for its last answer, makes). Every session is read-only.
 */
public final class LoadRun {
  /** Opens one connection of the run. */
  @FunctionalInterface
  public interface ConnectionSource {
    Connection open() throws SQLException;
  }

  /**
   * Where requests go when the run holds no sessions of its own: an application's data-access layer (a pooled
   * {@code PgoptDataSource} with replicas and a cache, say), handed each request's statement and drawn values. It is
   * called from the run's threads at once, and must read every row, as the application would.
   */
  @FunctionalInterface
  public interface RequestPath {
    /**
     * @param statement the statement's place in the mix (the same text and values give the same result: a cache key)
     * @param sql the statement with {@code ?} placeholders
     * @param values one per {@code ?}, in order, as text for the server to type ({@link #bind})
     */
    void run(int statement, String sql, String[] values) throws SQLException;

    /** Binds {@code values} untyped, so the server infers each type from its use, as it did for the application. */
    static void bind(PreparedStatement ps, String[] values) throws SQLException {
      StatementTemplate.bind(ps, values);
    }
  }

  /** Hears each second of the run: requests sent in it and their latency (ms); nothing by default. */
  @FunctionalInterface
  public interface Progress {
    Progress NONE = (second, sent, p50, p95, p99, failed) -> { };

    void second(long second, long sent, double p50, double p95, double p99, long failed);
  }

  // microseconds, up to an hour, 3 significant digits: HdrHistogram's usual setting for latencies
  private static final long HIGHEST_MICROS = 3_600_000_000L;
  private static final int ERRORS_KEPT = 20;

  private final ConnectionSource source;
  private final RequestPath path;
  private final Progress progress;
  private java.io.PrintStream histogramLog;
  private boolean writes;

  /** A run on sessions of its own, one per client, each read-only unless {@link #allowingWrites}. */
  public LoadRun(ConnectionSource source, Progress progress) {
    this(source, null, progress);
  }

  private LoadRun(ConnectionSource source, RequestPath path, Progress progress) {
    this.source = source;
    this.path = path;
    this.progress = progress;
  }

  /**
   * A run whose clients hand each request to {@code path}: as many threads as clients, so at most that many requests
   * are in flight; sessions, their pool and their read-only state are the path's.
   */
  public static LoadRun through(RequestPath path, Progress progress) {
    return new LoadRun(null, java.util.Objects.requireNonNull(path), progress);
  }

  /**
   * Also writes each second's latency histogram (microseconds, HdrHistogram's interval log format) to {@code out}, for
   * HdrHistogram's own tools and plotters.
   */
  public LoadRun histogramLog(java.io.PrintStream out) {
    this.histogramLog = out;
    return this;
  }

  /** Sessions that may write (scripts with {@code --include-writes}, on a database named disposable); read-only otherwise. */
  public LoadRun allowingWrites() {
    this.writes = true;
    return this;
  }

  public LoadResult run(WorkloadMix mix, LoadOptions options) throws SQLException, InterruptedException {
    List<Connection> connections = new ArrayList<>();
    if (path != null) {
      for (int i = 0; i < options.clients(); i++) {
        connections.add(null);
      }
      return run(mix, options, connections);
    }
    try {
      for (int i = 0; i < options.clients(); i++) {
        Connection c = source.open();
        connections.add(c);
        if (!writes) {
          try (Statement s = c.createStatement()) {
            s.execute("SET default_transaction_read_only = on");
          }
        }
      }
      return run(mix, options, connections);
    } finally {
      for (Connection c : connections) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // the server went away during the run: nothing to close
        }
      }
    }
  }

  private LoadResult run(WorkloadMix mix, LoadOptions o, List<Connection> connections) throws InterruptedException {
    int n = mix.statements().size();
    RequestClock clock = new RequestClock(System.nanoTime() + 100_000_000L, o.ratePerSecond(), o.warmup(), o.duration(),
        o.drainLimit(), o.arrivals() == LoadOptions.Arrivals.POISSON, o.seed());
    AtomicLong sent = new AtomicLong();
    AtomicLong failedNow = new AtomicLong();
    Recorder live = new Recorder(HIGHEST_MICROS, 3);
    List<Worker> workers = new ArrayList<>();
    for (int i = 0; i < connections.size(); i++) {
      workers.add(new Worker(source, path, connections.get(i), writes, mix, clock, sent, failedNow, live,
          new SplittableRandom(o.seed() * 31 + i), n));
    }
    List<Thread> threads = new ArrayList<>();
    for (Worker w : workers) {
      Thread t = new Thread(w, "pgopt-load-" + threads.size());
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    long second = 0;
    long lastSent = 0;
    long lastFailed = 0;
    Histogram interval = null;
    List<LoadResult.Second> timeline = new ArrayList<>();
    org.HdrHistogram.HistogramLogWriter log = null;
    if (histogramLog != null) {
      log = new org.HdrHistogram.HistogramLogWriter(histogramLog);
      log.outputComment("pgopt bench: latency from the due time, microseconds, one interval a second");
      log.outputLogFormatVersion();
      log.outputStartTime(System.currentTimeMillis());
      log.outputLegend();
    }
    boolean running = true;
    while (running) {
      long wake = clock.start() + (second + 1) * 1_000_000_000L;
      long wait = wake - System.nanoTime();
      if (wait > 0) {
        threads.get(0).join(Math.max(1, wait / 1_000_000), 0);
      }
      running = threads.stream().anyMatch(Thread::isAlive);
      if (!running) {
        for (Thread t : threads) {
          t.join();
        }
      }
      // a full second, or the last part of one once every worker is done
      if (System.nanoTime() >= wake || !running && sent.get() > lastSent) {
        interval = live.getIntervalHistogram(interval);
        long s = sent.get();
        long f = failedNow.get();
        second++;
        progress.second(second, s - lastSent, ms(interval.getValueAtPercentile(50)), ms(interval.getValueAtPercentile(95)),
            ms(interval.getValueAtPercentile(99)), f - lastFailed);
        timeline.add(new LoadResult.Second(second, s - lastSent, f - lastFailed, ms(interval.getValueAtPercentile(50)),
            ms(interval.getValueAtPercentile(95)), ms(interval.getValueAtPercentile(99))));
        if (log != null) {
          // seconds since the start; the max column in milliseconds
          log.outputIntervalHistogram(second - 1, second, interval, 1000.0);
        }
        lastSent = s;
        lastFailed = f;
      }
    }
    for (Worker w : workers) {
      Connection c = w.connection();
      if (c != null && !connections.contains(c)) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // a reconnected session the server dropped again
        }
      }
    }
    Histogram latency = new Histogram(HIGHEST_MICROS, 3);
    Histogram service = new Histogram(HIGHEST_MICROS, 3);
    Histogram lag = new Histogram(HIGHEST_MICROS, 3);
    Histogram[] perStatement = new Histogram[n];
    long[] completed = new long[n];
    long[] failed = new long[n];
    Map<String, Long> errors = new HashMap<>();
    for (int i = 0; i < n; i++) {
      perStatement[i] = new Histogram(HIGHEST_MICROS, 3);
    }
    for (Worker w : workers) {
      latency.add(w.latency);
      service.add(w.service);
      lag.add(w.lag);
      for (int i = 0; i < n; i++) {
        perStatement[i].add(w.perStatement[i]);
        completed[i] += w.completed[i];
        failed[i] += w.failed[i];
      }
      w.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
    }
    long done = 0;
    long bad = 0;
    List<LoadResult.StatementResult> statements = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      WorkloadMix.Statement s = mix.statements().get(i);
      done += completed[i];
      bad += failed[i];
      statements.add(new LoadResult.StatementResult(s.queryId(), s.query(), s.share(), completed[i], failed[i],
          percentiles(perStatement[i])));
    }
    Map<String, Long> topErrors = new LinkedHashMap<>();
    errors.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(ERRORS_KEPT)
        .forEach(e -> topErrors.put(e.getKey(), e.getValue()));
    long scheduled = clock.scheduledInWindow();
    double seconds = o.duration().toNanos() / 1e9;
    return new LoadResult(o.ratePerSecond(), seconds, o.clients(), scheduled, done, bad, Math.max(0, scheduled - done - bad),
        (done + bad) / seconds, percentiles(latency), percentiles(service), percentiles(lag), statements, topErrors,
        mix.skipped(), timeline);
  }

  private static LoadResult.Percentiles percentiles(Histogram h) {
    if (h.getTotalCount() == 0) {
      return new LoadResult.Percentiles(0, 0, 0, 0, 0, 0, 0);
    }
    return new LoadResult.Percentiles(ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)),
        ms(h.getValueAtPercentile(95)), ms(h.getValueAtPercentile(99)), ms(h.getValueAtPercentile(99.9)),
        ms(h.getMaxValue()), h.getMean() / 1000);
  }

  private static double ms(long micros) {
    return micros / 1000.0;
  }

  /** One connection taking due requests in turn. */
  private static final class Worker implements Runnable {
    final Histogram latency = new Histogram(HIGHEST_MICROS, 3);
    final Histogram service = new Histogram(HIGHEST_MICROS, 3);
    final Histogram lag = new Histogram(HIGHEST_MICROS, 3);
    final Histogram[] perStatement;
    final long[] completed;
    final long[] failed;
    final Map<String, Long> errors = new HashMap<>();
    private final ConnectionSource source;
    private final RequestPath path;
    private final boolean writes;
    private Connection connection;
    private long reconnectAfter;
    private final WorkloadMix mix;
    private final RequestClock clock;
    private final AtomicLong sent;
    private final AtomicLong failedNow;
    private final Recorder live;
    private final SplittableRandom random;
    private final PreparedStatement[] prepared;

    Worker(ConnectionSource source, RequestPath path, Connection connection, boolean writes, WorkloadMix mix,
        RequestClock clock, AtomicLong sent, AtomicLong failedNow, Recorder live, SplittableRandom random, int statements) {
      this.source = source;
      this.path = path;
      this.writes = writes;
      this.connection = connection;
      this.mix = mix;
      this.clock = clock;
      this.sent = sent;
      this.failedNow = failedNow;
      this.live = live;
      this.random = random;
      this.perStatement = new Histogram[statements];
      this.completed = new long[statements];
      this.failed = new long[statements];
      this.prepared = new PreparedStatement[statements];
      for (int i = 0; i < statements; i++) {
        perStatement[i] = new Histogram(HIGHEST_MICROS, 3);
      }
    }

    @Override
    public void run() {
      while (true) {
        long due = clock.nextDue();
        if (!clock.beforeEnd(due)) {
          return;
        }
        long now;
        while ((now = System.nanoTime()) < due) {
          LockSupport.parkNanos(due - now);
        }
        if (clock.drainOver(now)) {
          return;
        }
        int k = mix.pick(random);
        long begin = System.nanoTime();
        boolean ok = execute(k);
        long end = System.nanoTime();
        sent.incrementAndGet();
        if (!ok) {
          failedNow.incrementAndGet();
        }
        long micros = Math.min(HIGHEST_MICROS, Math.max(1, (end - due) / 1000));
        if (ok) {
          // the progress lines show the warm-up too; the result only the measured window
          live.recordValue(micros);
        }
        if (!clock.measured(due)) {
          continue;
        }
        if (ok) {
          completed[k]++;
          latency.recordValue(micros);
          service.recordValue(Math.min(HIGHEST_MICROS, Math.max(1, (end - begin) / 1000)));
          lag.recordValue(Math.min(HIGHEST_MICROS, Math.max(0, (begin - due) / 1000)));
          perStatement[k].recordValue(micros);
        } else {
          failed[k]++;
        }
      }
    }

    private boolean execute(int statement) {
      if (path != null) {
        try {
          StatementTemplate template = mix.template(statement);
          path.run(statement, template.jdbcSql(), template.draw(random));
          return true;
        } catch (SQLException | RuntimeException e) {
          countError(e);
          return false;
        }
      }
      try {
        if (connection == null) {
          reconnect();
        }
        PreparedStatement ps = prepared[statement];
        if (ps == null) {
          ps = connection.prepareStatement(mix.template(statement).jdbcSql());
          prepared[statement] = ps;
        }
        StatementTemplate.bind(ps, mix.template(statement).draw(random));
        readAll(ps);
        return true;
      } catch (SQLException | RuntimeException e) {
        String state = countError(e);
        if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")) {
          // the session is gone: later requests fail fast until a new one opens (tried at most once a second)
          dropConnection();
        }
        return false;
      }
    }

    /** Runs it and reads every row it returns, as the application does; a write returns none. */
    private static void readAll(PreparedStatement ps) throws SQLException {
      if (ps.execute()) {
        try (ResultSet rs = ps.getResultSet()) {
          while (rs.next()) {
            // every row
          }
        }
      }
    }

    /** Counts the error by its SQLSTATE and first line; returns the SQLSTATE ("" when there is none). */
    private String countError(Exception e) {
      String state = e instanceof SQLException sql && sql.getSQLState() != null ? sql.getSQLState() : "";
      String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
      errors.merge((state.isEmpty() ? "" : state + ": ") + message, 1L, Long::sum);
      return state;
    }

    private void reconnect() throws SQLException {
      long now = System.nanoTime();
      if (now - reconnectAfter < 0) {
        throw new SQLException("no connection to the server (reconnecting at most once a second)", "08003");
      }
      reconnectAfter = now + 1_000_000_000L;
      Connection c = source.open();
      if (!writes) {
        try (Statement s = c.createStatement()) {
          s.execute("SET default_transaction_read_only = on");
        } catch (SQLException e) {
          c.close();
          throw e;
        }
      }
      connection = c;
    }

    private void dropConnection() {
      java.util.Arrays.fill(prepared, null);
      try {
        if (connection != null) {
          connection.close();
        }
      } catch (SQLException ignored) {
        // already broken
      }
      connection = null;
    }

    Connection connection() {
      return connection;
    }
  }
}
