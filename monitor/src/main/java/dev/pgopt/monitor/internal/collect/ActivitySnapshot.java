package dev.pgopt.monitor.internal.collect;

import java.time.Instant;
import java.util.List;

/**
 * What the fast collector saw at one instant: every session, the database's cumulative counters and replication.
 * Collected every {@code activity_interval} (15 s by default).
 */
public record ActivitySnapshot(Instant takenAt, List<SessionRow> sessions, DatabaseCounters counters, int maxConnections,
                               int reservedConnections, boolean inRecovery, long xidAge, List<ReplicaRow> replicas,
                               Double standbyLagSeconds, String walReceiverStatus) {

  /** One backend from pg_stat_activity. {@code blockedBy} is only read for sessions waiting on a lock. */
  public record SessionRow(int pid, String user, String application, String clientAddress, String state,
                           String waitEventType, String waitEvent, String backendType, Instant transactionStart,
                           Instant queryStart, Instant stateChange, List<Integer> blockedBy, boolean superuser,
                           String query, String database, boolean own) {
    public boolean clientBackend() {
      return "client backend".equals(backendType);
    }
  }

  /** pg_stat_database for the monitored database: cumulative since {@code statsReset}. */
  public record DatabaseCounters(long commits, long rollbacks, long blocksHit, long blocksRead, long deadlocks,
                                 long tempBytes, long tuplesReturned, long tuplesFetched, long tuplesInserted,
                                 long tuplesUpdated, long tuplesDeleted, Instant statsReset) {}

  /** A standby as its primary sees it in pg_stat_replication. */
  public record ReplicaRow(String name, String clientAddress, String state, String syncState, Double replayLagSeconds,
                           Long replayLagBytes) {}
}
