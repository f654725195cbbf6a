package dev.pgopt.monitor.internal.collect;

import dev.pgopt.collect.pooler.PgBouncerAdmin;
import dev.pgopt.collect.pooler.PoolerSnapshot;
import dev.pgopt.connect.AdminConsole;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.SessionOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PgBouncer in front of a target, read through its admin console at every activity sample on a connection kept
 * open between samples (a stats user's connection costs PgBouncer nothing). A console that does not answer gives
 * {@code pgbouncer_up} 0 and nothing else: the target itself is not down for it.
 */
public final class PoolerState implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PoolerState.class);
  /** The admin console answers from memory: anything slower than this is a PgBouncer in trouble. */
  private static final SessionOptions OPTIONS = new SessionOptions(Duration.ofSeconds(5), Duration.ofSeconds(5),
      Duration.ofSeconds(1), "pgopt-monitor");

  private final String target;
  private final DatabaseTarget admin;
  private final Clock clock;
  private AdminConsole connection;
  private volatile String lastError = "";
  private volatile PoolerSnapshot latest;

  public PoolerState(String target, DatabaseTarget admin, Clock clock) {
    this.target = target;
    this.admin = admin;
    this.clock = clock;
  }

  /** One reading as series; called from the target's collection schedule only. */
  public synchronized Map<Series, Double> values() {
    Map<Series, Double> v = new EnumMap<>(Series.class);
    try {
      if (connection == null) {
        connection = AdminConsole.open(admin, OPTIONS);
      }
      PoolerSnapshot s = PgBouncerAdmin.read(connection, clock);
      latest = s;
      v.putAll(of(s));
      if (!lastError.isEmpty()) {
        LOG.info("PgBouncer of {} answers again", target);
        lastError = "";
      }
    } catch (DatabaseFailure e) {
      close();
      String message = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
      if (!message.equals(lastError)) {
        LOG.warn("PgBouncer of {} at {}: {}", target, admin.display(), message);
        lastError = message;
      }
      v.put(Series.PGBOUNCER_UP, 0.0);
    }
    return v;
  }

  /** The newest reading, or null before the first. */
  public PoolerSnapshot latest() {
    return latest;
  }

  public String lastError() {
    return lastError;
  }

  /** The series of one reading; the admin console's own pool is not an application's and is left out. */
  static Map<Series, Double> of(PoolerSnapshot s) {
    Map<Series, Double> v = new EnumMap<>(Series.class);
    double active = 0;
    double waiting = 0;
    double maxWait = 0;
    double servers = 0;
    double saturation = 0;
    for (PoolerSnapshot.Pool p : s.pools()) {
      if (p.database().equals("pgbouncer")) {
        continue;
      }
      active += p.clientsActive();
      waiting += p.clientsWaiting();
      maxWait = Math.max(maxWait, p.maxWaitMicros() / 1e6);
      servers += p.servers();
      int size = s.poolSize(p.database());
      if (size > 0) {
        saturation = Math.max(saturation, 100.0 * p.serversActive() / size);
      }
    }
    v.put(Series.PGBOUNCER_UP, 1.0);
    v.put(Series.PGBOUNCER_CLIENTS_ACTIVE, active);
    v.put(Series.PGBOUNCER_CLIENTS_WAITING, waiting);
    v.put(Series.PGBOUNCER_MAXWAIT_SECONDS, maxWait);
    v.put(Series.PGBOUNCER_SATURATION_PERCENT, saturation);
    v.put(Series.PGBOUNCER_SERVER_CONNECTIONS, servers);
    return v;
  }

  @Override
  public synchronized void close() {
    if (connection != null) {
      connection.close();
      connection = null;
    }
  }
}
