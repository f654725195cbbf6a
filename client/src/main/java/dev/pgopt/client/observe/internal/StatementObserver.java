package dev.pgopt.client.observe.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgopt.client.observe.StatementObservation;
import dev.pgopt.client.route.internal.Node;
import dev.pgopt.client.route.internal.StatementWrapper;
import io.micrometer.core.instrument.Timer;
import java.lang.reflect.Proxy;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Times every statement into Micrometer and writes slow ones to the slow log, with a sampled plan. */
public final class StatementObserver implements StatementWrapper, AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  private final StatementObservation settings;
  private final LabelGuard labels;
  private final long slowNanos;
  private final ExplainSampler explain;
  private final ConcurrentHashMap<TimerKey, Timer> timers = new ConcurrentHashMap<>();

  private record TimerKey(boolean read, String node, String label, boolean ok) {}

  public StatementObserver(StatementObservation settings) {
    this.settings = settings;
    this.labels = new LabelGuard(settings.maxLabels());
    this.slowNanos = settings.slowThreshold() == null ? Long.MAX_VALUE : settings.slowThreshold().toNanos();
    this.explain = settings.explainSampleRate() > 0 && settings.slowThreshold() != null ? new ExplainSampler(settings.slowSink()) : null;
  }

  @Override
  public <S extends Statement> S wrap(S statement, Class<S> type, String sql, Node node, boolean read) {
    ObservedStatement handler = new ObservedStatement(statement, sql, node, read, this, explain != null);
    return type.cast(Proxy.newProxyInstance(StatementObserver.class.getClassLoader(), new Class<?>[] {type}, handler));
  }

  boolean isSlow(long nanos) {
    return nanos >= slowNanos;
  }

  void record(boolean read, Node node, long nanos, boolean ok) {
    String label = labels.tag(CurrentLabel.get());
    Timer t = timers.computeIfAbsent(new TimerKey(read, node.name(), label, ok), k -> Timer.builder("pgopt.client.statement")
        .description("Statements run through PgoptDataSource, by route, node and label")
        .tag("route", k.read() ? "read" : "write")
        .tag("node", k.node())
        .tag("label", k.label())
        .tag("outcome", k.ok() ? "ok" : "error")
        .publishPercentiles(settings.percentiles())
        .publishPercentileHistogram(settings.histogram())
        .register(settings.registry()));
    t.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Writes the slow-log record now, or after a sampled EXPLAIN on the same node. */
  void slow(boolean read, Node node, String sql, long nanos, long rows, String sqlState, List<Object[]> parameters) {
    ObjectNode line = JSON.createObjectNode();
    line.put("time", settings.clock().instant().toString());
    line.put("label", labels.tag(CurrentLabel.get()));
    line.put("route", read ? "read" : "write");
    line.put("node", node.name());
    line.put("duration_ms", Math.round(nanos / 1e4) / 100.0);
    if (rows >= 0) {
      line.put("rows", rows);
    }
    if (sqlState != null) {
      line.put("error_sqlstate", sqlState);
    }
    line.put("sql", SqlSanitizer.sanitize(sql));
    if (explain != null && sql != null && settings.random().nextDouble() < settings.explainSampleRate()) {
      explain.submit(line, node, sql, parameters);
    } else {
      settings.slowSink().write(line.toString());
    }
  }

  @Override
  public void close() {
    if (explain != null) {
      explain.close();
    }
  }
}
