package dev.pgopt.monitor.internal.collect;

import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The backend pids of the monitor's own sessions on one target, recorded as each connects. Incident response and
 * workload figures leave these out; a client cannot join them by choosing an {@code application_name}.
 */
public final class OwnSessions {
  private final Set<Integer> pids = ConcurrentHashMap.newKeySet();

  /** Records the backend of {@code c}; returns its pid, to {@link #forget} when the connection closes. */
  public int record(Connection c) throws SQLException {
    int pid = Sql.one(c, CollectorQueries.MARK + " SELECT pg_backend_pid()", rs -> rs.getInt(1));
    pids.add(pid);
    return pid;
  }

  public void forget(int pid) {
    pids.remove(pid);
  }

  public boolean contains(int pid) {
    return pids.contains(pid);
  }
}
