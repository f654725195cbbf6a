package dev.pgopt.collect.pooler;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One reading of a PgBouncer's admin console.
 *
 * @param version as {@code SHOW VERSION} prints it ("PgBouncer 1.18.0")
 * @param config {@code SHOW CONFIG}: setting to its current value
 */
public record PoolerSnapshot(Instant at, String version, Map<String, String> config, List<Pool> pools,
                             List<PoolDatabase> databases) {

  /**
   * One pool ({@code SHOW POOLS}): a database and user pair.
   *
   * @param clientsActive clients linked to a server connection or idle with nothing to run
   * @param clientsWaiting clients that sent a query and wait for a server connection
   * @param serversActive server connections linked to a client
   * @param serversIdle server connections ready for a client
   * @param serversUsed server connections idle longer than {@code server_check_delay}, to be checked before use
   * @param serversOther tested or logging in
   * @param maxWaitMicros how long the oldest waiting client has waited
   */
  public record Pool(String database, String user, long clientsActive, long clientsWaiting, long serversActive, long serversIdle,
                     long serversUsed, long serversOther, long maxWaitMicros, String poolMode) {
    public long servers() {
      return serversActive + serversIdle + serversUsed + serversOther;
    }
  }

  /**
   * A database as PgBouncer knows it ({@code SHOW DATABASES}).
   *
   * @param poolSize its pool's size (per user); {@code maxConnections} 0 when unlimited
   */
  public record PoolDatabase(String name, String host, int port, String database, int poolSize, int reservePool, String poolMode,
                             int maxConnections, int currentConnections, boolean paused, boolean disabled) {}

  public Optional<String> setting(String name) {
    return Optional.ofNullable(config.get(name));
  }

  public Optional<PoolDatabase> database(String name) {
    return databases.stream().filter(d -> d.name().equals(name)).findFirst();
  }

  /** A database's pool size per user: its own ({@code SHOW DATABASES}), else {@code default_pool_size}; 0 when unknown. */
  public int poolSize(String database) {
    return database(database).map(PoolDatabase::poolSize).filter(n -> n > 0).orElseGet(() -> {
      try {
        return Integer.parseInt(setting("default_pool_size").orElse("0").strip());
      } catch (NumberFormatException e) {
        return 0;
      }
    });
  }
}
