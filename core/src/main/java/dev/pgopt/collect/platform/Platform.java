package dev.pgopt.collect.platform;

/**
 * Where the server runs, as far as it shows: what a managed platform keeps from its users (ALTER SYSTEM, superuser,
 * the configuration files) and where a setting goes instead.
 */
public enum Platform {
  SELF_MANAGED("self-managed", true,
      "postgresql.conf or ALTER SYSTEM",
      "run PgBouncer yourself: pgopt pooler config writes its configuration"),
  NEON("Neon", false,
      "not settable for most server settings (Neon sizes them with the compute); user-level ones with ALTER ROLE or"
          + " ALTER DATABASE ... SET",
      "Neon runs PgBouncer (transaction mode) for you: connect to the host with -pooler after the endpoint id"),
  SUPABASE("Supabase", false,
      "the Supabase CLI (supabase --experimental postgres-config update) or the dashboard; user-level ones with ALTER"
          + " ROLE or ALTER DATABASE ... SET",
      "Supabase runs Supavisor (and a dedicated PgBouncer on paid plans): use the pooler connection string, port 6543"
          + " for transaction mode"),
  RDS("Amazon RDS", false,
      "the DB parameter group (console, or aws rds modify-db-parameter-group); a static setting needs a reboot",
      "RDS Proxy, or PgBouncer on a host of your own: pgopt pooler config writes its configuration"),
  AURORA("Amazon Aurora PostgreSQL", false,
      "the DB cluster or DB parameter group (console, or aws rds modify-db-cluster-parameter-group)",
      "RDS Proxy, or PgBouncer on a host of your own: pgopt pooler config writes its configuration");

  private final String displayName;
  private final boolean alterSystemAllowed;
  private final String settingsHome;
  private final String pooler;

  Platform(String displayName, boolean alterSystemAllowed, String settingsHome, String pooler) {
    this.displayName = displayName;
    this.alterSystemAllowed = alterSystemAllowed;
    this.settingsHome = settingsHome;
    this.pooler = pooler;
  }

  public String displayName() {
    return displayName;
  }

  /** Whether ALTER SYSTEM is open to the customer (managed platforms keep superuser to themselves). */
  public boolean alterSystemAllowed() {
    return alterSystemAllowed;
  }

  /** Where a server-level setting is changed on this platform. */
  public String settingsHome() {
    return settingsHome;
  }

  /** What connection pooling means here. */
  public String pooler() {
    return pooler;
  }

  public boolean managed() {
    return this != SELF_MANAGED;
  }

  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
