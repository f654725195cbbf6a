package dev.pgopt.sample;

import dev.pgopt.sample.internal.WorkloadData;
import dev.pgopt.sample.internal.WorkloadQuery;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * Runs the sample workload: several clients, each on its own connection, drawing statements from a weighted mix
 * of point lookups, filtered lists with ORDER BY ... LIMIT, keyset pagination, aggregates over the time series,
 * full-text search and writes. Deterministic per seed in what it asks, not in timing.
 */
public final class Workload {
  private Workload() {}

  /** Opens a connection for one client. */
  @FunctionalInterface
  public interface Connector {
    Connection open() throws SQLException;
  }

  /**
   * @param mix weight per statement label (see {@link #defaultMix()}); statements left out are not run
   * @param maxStatements stop after this many statements in all (0: run for {@code duration})
   */
  public record Options(Duration duration, long maxStatements, int clients, long seed, Map<String, Integer> mix) {
    public Options {
      if (clients < 1 || clients > 256) {
        throw new IllegalArgumentException("clients must be from 1 to 256, got " + clients);
      }
      if (duration.isNegative() || duration.isZero() && maxStatements <= 0) {
        throw new IllegalArgumentException("give a positive duration or a statement count");
      }
      for (String k : mix.keySet()) {
        if (Arrays.stream(WorkloadQuery.values()).noneMatch(q -> q.label().equals(k))) {
          throw new IllegalArgumentException("unknown workload statement '" + k + "': valid are " + String.join(", ", defaultMix().keySet()));
        }
      }
      if (mix.values().stream().mapToInt(Integer::intValue).sum() <= 0) {
        throw new IllegalArgumentException("the workload mix needs at least one positive weight");
      }
      mix = Map.copyOf(mix);
    }

    public static Options of(Duration duration, int clients) {
      return new Options(duration, 0, clients, 7, defaultMix());
    }
  }

  public record StatementStats(long count, long errors, double meanMillis, double maxMillis) {}

  public record Result(long statements, long errors, Duration took, Map<String, StatementStats> byStatement,
                       List<String> sampleErrors) {
    public double perSecond() {
      return statements / Math.max(0.001, took.toNanos() / 1e9);
    }
  }

  /** Label → default weight. */
  public static Map<String, Integer> defaultMix() {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (WorkloadQuery q : WorkloadQuery.values()) {
      m.put(q.label(), q.defaultWeight());
    }
    return m;
  }

  /** Statement label → SQL, for documentation. */
  public static Map<String, String> statements() {
    Map<String, String> m = new LinkedHashMap<>();
    for (WorkloadQuery q : WorkloadQuery.values()) {
      m.put(q.label(), q.sql());
    }
    return m;
  }

  /**
   * One statement of the workload for another client to send (pgopt bench): its SQL with {@code ?} placeholders, its
   * default weight, and each call's values as text, drawn as {@link #run} draws them.
   */
  public record Statement(String label, String sql, int weight, boolean writes, Function<RandomGenerator, String[]> values) {}

  /** The workload's statements, their values drawn from the dataset {@code c} reaches (read once, here). */
  public static List<Statement> forReplay(Connection c) throws SQLException {
    WorkloadData data = WorkloadData.read(c);
    List<Statement> out = new ArrayList<>();
    for (WorkloadQuery q : WorkloadQuery.values()) {
      out.add(new Statement(q.label(), q.sql(), q.defaultWeight(), q.writes(), r -> q.text(data, r)));
    }
    return out;
  }

  public static Result run(Connector connector, Options options) throws SQLException {
    WorkloadData data;
    try (Connection c = connector.open()) {
      data = WorkloadData.read(c);
    }
    List<WorkloadQuery> pool = new ArrayList<>();
    List<Integer> cumulative = new ArrayList<>();
    int total = 0;
    for (WorkloadQuery q : WorkloadQuery.values()) {
      int w = options.mix().getOrDefault(q.label(), 0);
      if (w > 0) {
        total += w;
        pool.add(q);
        cumulative.add(total);
      }
    }
    final int weightSum = total;
    Map<WorkloadQuery, LongAdder> counts = new EnumMap<>(WorkloadQuery.class);
    Map<WorkloadQuery, LongAdder> errors = new EnumMap<>(WorkloadQuery.class);
    Map<WorkloadQuery, LongAdder> nanos = new EnumMap<>(WorkloadQuery.class);
    Map<WorkloadQuery, AtomicLong> maxNanos = new EnumMap<>(WorkloadQuery.class);
    for (WorkloadQuery q : WorkloadQuery.values()) {
      counts.put(q, new LongAdder());
      errors.put(q, new LongAdder());
      nanos.put(q, new LongAdder());
      maxNanos.put(q, new AtomicLong());
    }
    List<String> sampleErrors = Collections.synchronizedList(new ArrayList<>());
    LongAdder issued = new LongAdder();
    long started = System.nanoTime();
    long deadline = options.duration().isZero() ? Long.MAX_VALUE : started + options.duration().toNanos();
    ExecutorService executor = Executors.newFixedThreadPool(options.clients(), r -> {
      Thread t = new Thread(r, "pgopt-workload");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int client = 0; client < options.clients(); client++) {
        SplittableRandom random = new SplittableRandom(options.seed() * 1_000_003L + client);
        futures.add(executor.submit(() -> {
          try (Connection c = connector.open()) {
            c.setAutoCommit(true);
            Map<WorkloadQuery, PreparedStatement> prepared = new EnumMap<>(WorkloadQuery.class);
            for (WorkloadQuery q : pool) {
              prepared.put(q, c.prepareStatement(q.sql()));
            }
            while (System.nanoTime() < deadline) {
              if (options.maxStatements() > 0) {
                issued.increment();
                if (issued.sum() > options.maxStatements()) {
                  break;
                }
              }
              int x = random.nextInt(weightSum);
              int i = 0;
              while (cumulative.get(i) <= x) {
                i++;
              }
              WorkloadQuery q = pool.get(i);
              long t0 = System.nanoTime();
              try {
                q.execute(prepared.get(q), data, random);
                counts.get(q).increment();
              } catch (SQLException e) {
                errors.get(q).increment();
                if (sampleErrors.size() < 5) {
                  sampleErrors.add(q.label() + ": " + e.getMessage());
                }
                if (c.isClosed() || !c.isValid(2)) {
                  return null;
                }
              }
              long dt = System.nanoTime() - t0;
              nanos.get(q).add(dt);
              maxNanos.get(q).accumulateAndGet(dt, Math::max);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof SQLException sql) {
            throw sql;
          }
          throw new IllegalStateException("workload client failed: " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SQLException("interrupted", e);
        }
      }
    } finally {
      executor.shutdownNow();
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    Map<String, StatementStats> stats = new LinkedHashMap<>();
    long all = 0;
    long allErrors = 0;
    for (WorkloadQuery q : pool) {
      long n = counts.get(q).sum();
      long e = errors.get(q).sum();
      all += n;
      allErrors += e;
      double mean = n + e == 0 ? 0 : nanos.get(q).sum() / 1e6 / (n + e);
      stats.put(q.label(), new StatementStats(n, e, Math.round(mean * 100) / 100.0, Math.round(maxNanos.get(q).get() / 1e4) / 100.0));
    }
    return new Result(all, allErrors, took, stats, List.copyOf(sampleErrors));
  }

  /** One line per statement, slowest first, for terminals. */
  public static String summary(Result r) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%,d statements in %.1f s (%,.0f/s), %d errors%n", r.statements(),
        r.took().toMillis() / 1000.0, r.perSecond(), r.errors()));
    r.byStatement().entrySet().stream()
        .sorted((a, b) -> Double.compare(b.getValue().meanMillis(), a.getValue().meanMillis()))
        .forEach(e -> sb.append(String.format(Locale.ROOT, "  %-20s %8d calls  mean %8.2f ms  max %8.2f ms%s%n", e.getKey(),
            e.getValue().count(), e.getValue().meanMillis(), e.getValue().maxMillis(),
            e.getValue().errors() > 0 ? "  " + e.getValue().errors() + " errors" : "")));
    r.sampleErrors().forEach(e -> sb.append("  error: ").append(e).append('\n'));
    return sb.toString();
  }
}
