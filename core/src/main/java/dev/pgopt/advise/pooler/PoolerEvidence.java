package dev.pgopt.advise.pooler;

import dev.pgopt.analyze.pooler.ServerLimits;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a pooler configuration is sized from, read from the server.
 *
 * @param peakActive the most client sessions running a statement at once in the sample (pgopt's own excluded)
 * @param samples how many times active sessions were counted, {@code sampleInterval} apart
 * @param roles login roles that use the database (in pg_stat_statements or connected now) or were named
 * @param passwordEncryption the server's password_encryption (the auth_type the secrets fit)
 * @param ssl whether the server has ssl = on
 */
public record PoolerEvidence(String database, ServerLimits limits, int peakActive, int samples, Duration sampleInterval,
                             List<Role> roles, String passwordEncryption, boolean ssl, SessionFeatures features) {

  /**
   * A role the pooler authenticates, with its password secret when the connecting role may read pg_authid.
   *
   * @param secret the SCRAM (or MD5) verifier, never a password; null when unreadable
   */
  public record Role(String name, String secret, boolean superuser) {
    @Override
    public String toString() {
      return "Role[" + name + (secret == null ? ", no secret" : ", secret present") + "]";
    }
  }

  /**
   * This evidence with {@code peak} busy sessions when that is more than the sample saw: a monitor's history of
   * weeks has seen peaks a ten-second sample cannot.
   */
  public PoolerEvidence withPeakAtLeast(int peak) {
    return peak <= peakActive ? this : new PoolerEvidence(database, limits, peak, samples, sampleInterval, roles,
        passwordEncryption, ssl, features);
  }

  /** Waits between samples; tests pass one that does not sleep. */
  @FunctionalInterface
  public interface Sleeper {
    Sleeper REAL = d -> Thread.sleep(d.toMillis());

    void sleep(Duration d) throws InterruptedException;
  }

  /**
   * @param users roles to include besides the ones seen using the database (empty: only those)
   * @param samples active sessions are counted this many times, {@code interval} apart
   */
  public static PoolerEvidence read(Connection c, List<String> users, int samples, Duration interval, Sleeper sleeper)
      throws SQLException {
    String database = Sql.one(c, "SELECT current_database()", rs -> rs.getString(1));
    ServerLimits limits = ServerLimits.read(c);
    int peak = 0;
    for (int i = 0; i < samples; i++) {
      // pg_stat_activity is a snapshot per transaction: each count needs a fresh one
      Sql.one(c, "SELECT pg_stat_clear_snapshot()", rs -> null);
      peak = Math.max(peak, Sql.one(c, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
          + " AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)') AND pid <> pg_backend_pid()",
          rs -> rs.getInt(1)));
      if (i + 1 < samples) {
        try {
          sleeper.sleep(interval);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    boolean statements = Sql.one(c, "SELECT to_regclass('pg_stat_statements') IS NOT NULL AND"
        + " current_setting('shared_preload_libraries') ~ 'pg_stat_statements'", rs -> rs.getBoolean(1));
    String seenBy = "r.rolname = current_user OR r.rolname = ANY (?::text[])"
        + " OR r.rolname IN (SELECT usename FROM pg_stat_activity WHERE datname = current_database()"
        + " AND backend_type = 'client backend')"
        + (statements ? " OR r.oid IN (SELECT userid FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database"
            + " WHERE datname = current_database()))" : "");
    boolean authid = Sql.one(c, "SELECT has_table_privilege('pg_authid', 'SELECT')", rs -> rs.getBoolean(1));
    java.sql.Array named = c.createArrayOf("text", users.toArray());
    List<Role> roles = new ArrayList<>(Sql.list(c, "SELECT r.rolname, "
        + (authid ? "(SELECT a.rolpassword FROM pg_authid a WHERE a.oid = r.oid)" : "NULL::text")
        + ", r.rolsuper FROM pg_roles r WHERE r.rolcanlogin AND (" + seenBy + ") ORDER BY r.rolname",
        rs -> new Role(rs.getString(1), rs.getString(2), rs.getBoolean(3)), named));
    String encryption = Sql.one(c, "SELECT current_setting('password_encryption')", rs -> rs.getString(1));
    boolean ssl = Sql.one(c, "SELECT current_setting('ssl') = 'on'", rs -> rs.getBoolean(1));
    return new PoolerEvidence(database, limits, peak, samples, interval, roles, encryption, ssl, SessionFeatures.read(c));
  }
}
