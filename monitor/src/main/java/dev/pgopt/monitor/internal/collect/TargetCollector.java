package dev.pgopt.monitor.internal.collect;

import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.collect.StatementStatisticsUnavailable;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.SessionOptions;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Runs the collector queries against one target over one long-lived session (application_name {@code pgopt-monitor},
 * statement timeout from the configuration). A failed collection closes the session; the next one reconnects.
 */
public final class TargetCollector implements AutoCloseable {
  private final DatabaseTarget target;
  private final SessionOptions options;
  private final Clock clock;
  private final OwnSessions own;
  private Session session;
  private int pid;

  public TargetCollector(DatabaseTarget target, SessionOptions options, Clock clock, OwnSessions own) {
    this.target = target;
    this.options = options;
    this.clock = clock;
    this.own = own;
  }

  public DatabaseTarget target() {
    return target;
  }

  public synchronized ActivitySnapshot activity() throws DatabaseFailure {
    Session s = session();
    try {
      return s.readOnly(c -> {
        List<ActivitySnapshot.SessionRow> sessions = CollectorQueries.sessions(c, own);
        CollectorQueries.DatabaseFacts db = CollectorQueries.database(c);
        List<ActivitySnapshot.ReplicaRow> replicas = db.inRecovery() ? List.of() : CollectorQueries.replicas(c);
        Double standbyLag = null;
        String receiver = null;
        if (db.inRecovery()) {
          Object[] standby = CollectorQueries.standby(c);
          standbyLag = (Double) standby[0];
          receiver = (String) standby[1];
        }
        return new ActivitySnapshot(clock.instant(), sessions, db.counters(), db.maxConnections(), db.reserved(),
            db.inRecovery(), db.xidAge(), replicas, standbyLag, receiver);
      });
    } catch (DatabaseFailure e) {
      drop();
      throw e;
    }
  }

  public synchronized SlowSnapshot slow() throws DatabaseFailure {
    Session s = session();
    try {
      String[] note = {null};
      Optional<StatementSnapshot> statements = s.readOnly(c -> {
        try {
          return Optional.of(StatementCollector.read(c, s.serverVersionNum(), clock));
        } catch (StatementStatisticsUnavailable e) {
          note[0] = e.getMessage();
          return Optional.empty();
        }
      });
      return s.readOnly(c -> new SlowSnapshot(clock.instant(), statements, note[0], CollectorQueries.tables(c),
          CollectorQueries.indexes(c), CollectorQueries.databaseBytes(c), CollectorQueries.slots(c)));
    } catch (DatabaseFailure e) {
      drop();
      throw e;
    }
  }

  /** The open session, for other read-only work on this target (health report, findings, explain). */
  public synchronized <T> T withSession(Session.Work<T> work) throws DatabaseFailure {
    Session s = session();
    try {
      return s.readOnly(work);
    } catch (DatabaseFailure e) {
      drop();
      throw e;
    }
  }

  /** Runs {@code use} with the session itself (for core APIs that take a Session). */
  public synchronized <T> T useSession(SessionUse<T> use) throws DatabaseFailure {
    Session s = session();
    try {
      return use.apply(s);
    } catch (DatabaseFailure e) {
      drop();
      throw e;
    }
  }

  @FunctionalInterface
  public interface SessionUse<T> {
    T apply(Session session) throws DatabaseFailure;
  }

  public synchronized int serverVersionNum() throws DatabaseFailure {
    return session().serverVersionNum();
  }

  private Session session() throws DatabaseFailure {
    if (session == null) {
      Session s = Session.openCommitting(target, options);
      try {
        pid = s.readOnly(own::record);
      } catch (DatabaseFailure e) {
        s.close();
        throw e;
      }
      session = s;
    }
    return session;
  }

  private void drop() {
    if (session != null) {
      own.forget(pid);
      session.close();
      session = null;
    }
  }

  @Override
  public synchronized void close() {
    drop();
  }
}
