package dev.pgopt.monitor.internal.collect;

import java.util.Arrays;
import java.util.Optional;

/**
 * The history series pgopt derives and keeps per target. Names are stable: they are the {@code metric} of the history
 * API and the keys alert rules read.
 */
public enum Series {
  UP("up", "1 when the last collection succeeded, else 0"),
  CONNECTIONS("connections", "client backends on the server (all databases)"),
  CONNECTIONS_ACTIVE("connections_active", "client backends running a statement"),
  CONNECTIONS_IDLE_IN_TRANSACTION("connections_idle_in_transaction", "client backends idle inside a transaction"),
  CONNECTIONS_WAITING("connections_waiting", "client backends waiting on a lock"),
  CONNECTION_USAGE_PERCENT("connection_usage_percent", "client backends / (max_connections - superuser_reserved_connections)"),
  TRANSACTIONS_PER_SECOND("transactions_per_second", "commits + rollbacks per second in the monitored database"),
  ROLLBACK_PERCENT("rollback_percent", "rollbacks / (commits + rollbacks) over the interval"),
  CACHE_HIT_PERCENT("cache_hit_percent", "shared-buffer hits / block requests over the interval"),
  DEADLOCKS_PER_MINUTE("deadlocks_per_minute", "deadlocks detected per minute"),
  LONGEST_QUERY_SECONDS("longest_query_seconds", "age of the oldest running statement (pgopt's own excluded)"),
  LONGEST_TRANSACTION_SECONDS("longest_transaction_seconds", "age of the oldest open transaction"),
  BLOCKED_SESSIONS("blocked_sessions", "sessions waiting on a lock held by another session"),
  SLOW_QUERIES_PER_MINUTE("slow_queries_per_minute", "statements seen running longer than collect.slow_query, per minute"),
  REPLICATION_LAG_SECONDS("replication_lag_seconds", "worst replay lag of a standby (primary) or of this standby"),
  REPLICATION_LAG_BYTES("replication_lag_bytes", "worst replay lag in WAL bytes (primary side)"),
  XID_AGE("xid_age", "oldest age(datfrozenxid) of any database: transaction IDs toward wraparound"),
  DATABASE_BYTES("database_bytes", "pg_database_size of the monitored database"),
  AVG_QUERY_MS("avg_query_ms", "mean execution time of all statements over the statements interval"),
  CALLS_PER_SECOND("calls_per_second", "statement executions per second over the statements interval"),
  VECTOR_SEARCH_MS("vector_search_ms", "mean execution time of statements ordering by a pgvector distance"),
  BACKUP_AGE_SECONDS("backup_age_seconds", "age of the newest backup's snapshot in the target's backup_repo (1e9 when there is none)"),
  BACKUP_BYTES("backup_bytes", "size of the newest backup in the target's backup_repo"),
  DRILL_PASSED("drill_passed", "1 when the newest restore drill of the target's backups passed, else 0"),
  DRILL_RTO_SECONDS("drill_rto_seconds", "RTO the newest passed restore drill measured"),
  DRILL_AGE_SECONDS("drill_age_seconds", "time since the newest passed restore drill started (1e9 when none passed)"),
  DRILL_LAST_SUCCESS_TIMESTAMP("drill_last_success_timestamp", "Unix time of the newest passed restore drill's start"),
  PGBOUNCER_UP("pgbouncer_up", "1 when the target's PgBouncer admin console answered, else 0"),
  PGBOUNCER_CLIENTS_ACTIVE("pgbouncer_clients_active", "PgBouncer clients linked to a server connection or idle, all pools"),
  PGBOUNCER_CLIENTS_WAITING("pgbouncer_clients_waiting", "PgBouncer clients waiting for a server connection, all pools"),
  PGBOUNCER_MAXWAIT_SECONDS("pgbouncer_maxwait_seconds", "how long the oldest waiting PgBouncer client has waited, any pool"),
  PGBOUNCER_SATURATION_PERCENT("pgbouncer_saturation_percent", "busy server connections / pool size of the fullest PgBouncer pool"),
  PGBOUNCER_SERVER_CONNECTIONS("pgbouncer_server_connections", "server connections PgBouncer's pools hold open"),
  COST_MONTHLY("cost_monthly", "monthly cost at the target's prices: the database's storage and the instance"),
  COST_FORECAST_MONTHLY("cost_forecast_monthly", "the monthly cost the storage trend reaches at the end of this month"),
  PARTITIONS_AHEAD("partitions_ahead", "fewest partitions starting after now among maintenance.partition_tables"),
  DEFAULT_PARTITION_ROWS("default_partition_rows", "rows in the default partitions of maintenance.partition_tables (counted to a million)");

  private final String key;
  private final String help;

  Series(String key, String help) {
    this.key = key;
    this.help = help;
  }

  public String key() {
    return key;
  }

  public String help() {
    return help;
  }

  public static Optional<Series> byKey(String key) {
    return Arrays.stream(values()).filter(s -> s.key.equals(key)).findFirst();
  }
}
