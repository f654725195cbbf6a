package dev.pgopt.analyze.health.checks;

import static dev.pgopt.analyze.health.ThresholdDefinition.Kind.BYTES;
import static dev.pgopt.analyze.health.ThresholdDefinition.Kind.SECONDS;

import dev.pgopt.analyze.health.CheckContext;
import dev.pgopt.analyze.health.CheckResult;
import dev.pgopt.analyze.health.HealthCheck;
import dev.pgopt.analyze.health.Status;
import dev.pgopt.analyze.health.Threshold;
import dev.pgopt.analyze.health.ThresholdDefinition;
import dev.pgopt.analyze.health.Thresholds;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * On a primary: each standby's lag in bytes and time, and replication slots that are inactive or retain WAL. On a
 * standby: how far replay trails what was received, and the age of the last replayed transaction.
 */
public final class ReplicationCheck implements HealthCheck {
  public static final String NAME = "replication";

  /** {@code lagBytes} and the lag times are null when this role may not see them. */
  public record Standby(String name, String address, String state, String syncState, Long lagBytes, Double replayLagSeconds,
                        Double writeLagSeconds, Double flushLagSeconds) {}

  public record Slot(String name, String type, boolean active, String walStatus, Long retainedBytes) {}

  /** Replay backlog and last-replay age, when this server is itself a standby. */
  public record Recovery(Long replayBacklogBytes, Double lastReplaySeconds, String receiverStatus) {}

  public record Facts(boolean inRecovery, List<Standby> standbys, List<Slot> slots, Recovery recovery) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ThresholdDefinition> thresholds() {
    return List.of(
        new ThresholdDefinition("replication.lag_warning", SECONDS, "30s",
            "read-your-writes breaks for longer than users tolerate, and failover would lose this much"),
        new ThresholdDefinition("replication.lag_critical", SECONDS, "5min",
            "a standby this far behind is no failover target and serves stale reads"),
        new ThresholdDefinition("replication.lag_bytes_warning", BYTES, "256MB",
            "16 WAL segments behind: the standby cannot keep up with the write rate"),
        new ThresholdDefinition("replication.lag_bytes_critical", BYTES, "1GB",
            "catching up takes minutes and the primary must keep all of it"),
        new ThresholdDefinition("replication.slot_retained_warning", BYTES, "1GB",
            "a slot pins WAL on the primary's disk until its consumer reads it"),
        new ThresholdDefinition("replication.slot_retained_critical", BYTES, "10GB",
            "an abandoned slot fills the disk and stops the primary; consider max_slot_wal_keep_size"));
  }

  @Override
  public CheckResult run(CheckContext ctx) throws SQLException {
    boolean inRecovery = Sql.one(ctx.connection(), "SELECT pg_is_in_recovery()", rs -> rs.getBoolean(1));
    String currentLsn = inRecovery ? "pg_last_wal_receive_lsn()" : "pg_current_wal_lsn()";
    List<Standby> standbys = Sql.list(ctx.connection(), """
        SELECT application_name, client_addr::text, state, sync_state,
               pg_wal_lsn_diff(%s, replay_lsn)::int8 AS lag_bytes,
               extract(epoch FROM replay_lag)::float8 AS replay_lag, extract(epoch FROM write_lag)::float8 AS write_lag,
               extract(epoch FROM flush_lag)::float8 AS flush_lag
          FROM pg_stat_replication ORDER BY application_name""".formatted(currentLsn),
        rs -> new Standby(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
            Sql.nullableLong(rs, "lag_bytes"), Sql.nullableDouble(rs, "replay_lag"), Sql.nullableDouble(rs, "write_lag"),
            Sql.nullableDouble(rs, "flush_lag")));
    List<Slot> slots = Sql.list(ctx.connection(), """
        SELECT slot_name, slot_type, active, wal_status, pg_wal_lsn_diff(%s, restart_lsn)::int8 AS retained
          FROM pg_replication_slots ORDER BY slot_name""".formatted(currentLsn),
        rs -> new Slot(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getString(4), Sql.nullableLong(rs, "retained")));
    Recovery recovery = null;
    if (inRecovery) {
      recovery = Sql.one(ctx.connection(), """
          SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::int8 AS backlog,
                 extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS last_replay,
                 (SELECT status FROM pg_stat_wal_receiver) AS receiver""",
          rs -> new Recovery(Sql.nullableLong(rs, "backlog"), Sql.nullableDouble(rs, "last_replay"), rs.getString("receiver")));
    }
    return evaluate(new Facts(inRecovery, standbys, slots, recovery), ctx.thresholds());
  }

  public static CheckResult evaluate(Facts f, Thresholds t) {
    Threshold time = Threshold.above(t.orNull("replication.lag_warning"), t.orNull("replication.lag_critical"), "seconds");
    Threshold bytes = Threshold.above(t.orNull("replication.lag_bytes_warning"), t.orNull("replication.lag_bytes_critical"), "bytes");
    Threshold retained = Threshold.above(t.orNull("replication.slot_retained_warning"), t.orNull("replication.slot_retained_critical"), "bytes");
    Status status = Status.OK;
    List<String> problems = new ArrayList<>();
    long maxLagBytes = 0;
    boolean hidden = false;
    for (Standby s : f.standbys()) {
      if (s.lagBytes() == null) {
        hidden = true;
        continue;
      }
      maxLagBytes = Math.max(maxLagBytes, s.lagBytes());
      Status sb = Status.worst(bytes.statusOf(s.lagBytes()), s.replayLagSeconds() == null ? Status.OK : time.statusOf(s.replayLagSeconds()));
      if (!"streaming".equals(s.state())) {
        sb = Status.worst(sb, Status.WARNING);
      }
      if (sb != Status.OK) {
        problems.add("standby " + s.name() + " (" + s.state() + ") " + Units.bytes(s.lagBytes()) + " behind"
            + (s.replayLagSeconds() == null ? "" : ", replay lag " + Units.seconds(s.replayLagSeconds())));
      }
      status = Status.worst(status, sb);
    }
    for (Slot s : f.slots()) {
      Status ss = s.retainedBytes() == null ? Status.OK : retained.statusOf(s.retainedBytes());
      if (!s.active()) {
        ss = Status.worst(ss, Status.WARNING);
      }
      if ("lost".equals(s.walStatus())) {
        ss = Status.CRITICAL;
      }
      if (ss != Status.OK) {
        problems.add((s.active() ? "" : "inactive ") + "slot " + s.name() + " retains "
            + (s.retainedBytes() == null ? "?" : Units.bytes(s.retainedBytes())) + " of WAL"
            + ("lost".equals(s.walStatus()) ? " and has lost required WAL" : ""));
      }
      status = Status.worst(status, ss);
    }
    long value = maxLagBytes;
    if (f.recovery() != null) {
      Recovery r = f.recovery();
      long backlog = r.replayBacklogBytes() == null ? 0 : r.replayBacklogBytes();
      value = Math.max(value, backlog);
      Status rs = bytes.statusOf(backlog);
      if (!"streaming".equals(r.receiverStatus())) {
        rs = Status.worst(rs, Status.WARNING);
        problems.add("WAL receiver is " + (r.receiverStatus() == null ? "not running" : r.receiverStatus()));
      }
      if (rs != Status.OK && backlog > 0) {
        problems.add("replay trails receive by " + Units.bytes(backlog));
      }
      status = Status.worst(status, rs);
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("in_recovery", f.inRecovery());
    details.put("standbys", f.standbys().stream().map(s -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", s.name());
      m.put("address", s.address());
      m.put("state", s.state());
      m.put("sync_state", s.syncState());
      m.put("lag_bytes", s.lagBytes());
      m.put("replay_lag_seconds", s.replayLagSeconds());
      m.put("write_lag_seconds", s.writeLagSeconds());
      m.put("flush_lag_seconds", s.flushLagSeconds());
      return m;
    }).toList());
    details.put("slots", f.slots().stream().map(s -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", s.name());
      m.put("type", s.type());
      m.put("active", s.active());
      m.put("wal_status", s.walStatus());
      m.put("retained_bytes", s.retainedBytes());
      return m;
    }).toList());
    if (f.recovery() != null) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("replay_backlog_bytes", f.recovery().replayBacklogBytes());
      m.put("last_replay_age_seconds", f.recovery().lastReplaySeconds());
      m.put("wal_receiver_status", f.recovery().receiverStatus());
      details.put("recovery", m);
    }
    String message;
    if (!problems.isEmpty()) {
      message = String.join("; ", problems);
    } else if (f.standbys().isEmpty() && f.slots().isEmpty() && !f.inRecovery()) {
      message = "no standbys and no replication slots";
    } else {
      message = (f.inRecovery() ? "standby, replay keeping up" : f.standbys().size() + " standbys, "
          + f.slots().size() + " slots, max lag " + Units.bytes(maxLagBytes));
    }
    if (hidden) {
      message += "; standby positions are hidden from this role (GRANT pg_monitor)";
    }
    String fix = status == Status.OK ? null
        : "check the standby's network and I/O; drop slots no consumer uses (SELECT pg_drop_replication_slot('name')) "
            + "and set max_slot_wal_keep_size so one cannot fill the disk";
    return new CheckResult(NAME, status, value, Units.bytes(value), bytes, message, fix, details);
  }
}
