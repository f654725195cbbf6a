package dev.pgopt.advise.pooler;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@code pgbouncer.ini} and {@code userlist.txt} sized from {@link PoolerEvidence}.
 *
 * <p>Sizing: one pool per database and role; a pool holds the measured peak of sessions holding a connection (running
 * a statement or in a transaction) times 1.5, at least 5, so a burst fits; the pools with their reserves must leave
 * a tenth of the server's ordinary slots (at least 3) to everyone else (migrations, monitoring, a psql session), and
 * {@code max_db_connections} caps the database at that. Clients: {@code --app-max-connections} when given (the sum of
 * the application's pool sizes), else twice the client connections open now, at least 100.
 *
 * <p>Pool mode: transaction, unless the clients use session features ({@link SessionFeatures}), then session with
 * what would break named; a forced transaction mode keeps those warnings.
 *
 * @param ini the configuration; secrets never appear in it
 * @param userlist {@code "role" "secret"} lines, only for roles whose secret was readable
 * @param sizing the numbers and where they came from (for the report)
 * @param warnings what the user must know or do before starting it
 */
public record PgBouncerConfig(String ini, String userlist, Map<String, Object> sizing, List<String> warnings) {
  static final double HEADROOM = 1.5;
  static final int MIN_POOL = 5;
  static final int MIN_CLIENTS = 100;
  /** max_prepared_statements arrived in PgBouncer 1.21. */
  static final int[] PREPARED_STATEMENTS_SINCE = {1, 21};

  /**
   * @param host the server's address as PgBouncer reaches it
   * @param dir where the files will live (auth_file, logfile and pidfile point there)
   * @param pgbouncerVersion {major, minor} of the PgBouncer that will run it; null when unknown (newest assumed)
   * @param statsUser the role that reads the admin console ({@code pgopt pooler check}, the monitor)
   */
  public record Options(String host, int port, String dir, String listenAddr, int listenPort, Integer appMaxConnections,
                        String poolMode, int[] pgbouncerVersion, String statsUser) {
    public Options {
      if (!List.of("auto", "session", "transaction").contains(poolMode)) {
        throw new IllegalArgumentException("pool mode must be auto, session or transaction, not '" + poolMode + "'");
      }
    }
  }

  /** @throws IllegalArgumentException for a name an ini file cannot hold (a line break or another control character) */
  public static PgBouncerConfig of(PoolerEvidence e, Options o) {
    for (String name : List.of(e.database(), o.host(), o.dir(), o.statsUser())) {
      if (name.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
        throw new IllegalArgumentException("'" + name.replaceAll("\\p{Cntrl}", "?") + "' holds a control character a"
            + " pgbouncer.ini line cannot carry");
      }
    }
    List<String> warnings = new ArrayList<>();
    Map<String, Object> sizing = new LinkedHashMap<>();
    int pairs = Math.max(1, e.roles().size());
    int available = e.limits().available();
    int others = Math.max(3, (int) Math.ceil(available * 0.1));
    int budget = Math.max(1, available - others);
    int demand = Math.max(MIN_POOL, (int) Math.ceil(e.peakActive() * HEADROOM));
    // pool plus a fifth in reserve, for every pair, within the budget
    int cap = Math.max(1, (int) Math.floor(budget / (pairs * 1.2)));
    int pool = Math.min(demand, cap);
    int reserve = Math.max(1, pool / 5);
    if (demand > cap) {
      warnings.add(String.format(Locale.ROOT, "the server's slots limit each of the %d pools to %d connections, below the"
          + " %d the measured peak of %d busy sessions asks for: raise max_connections (now %d) or use fewer roles",
          pairs, pool, demand, e.peakActive(), e.limits().maxConnections()));
    }
    int clients = o.appMaxConnections() != null ? o.appMaxConnections()
        : Math.max(MIN_CLIENTS, roundUp(2 * e.limits().clientBackends(), 50));
    sizing.put("server_max_connections", e.limits().maxConnections());
    sizing.put("server_slots_for_ordinary_roles", available);
    sizing.put("left_for_other_clients", others);
    sizing.put("pools", pairs);
    sizing.put("peak_busy_sessions", e.peakActive());
    sizing.put("sampled", e.samples() + " counts " + e.sampleInterval().toMillis() + " ms apart");
    sizing.put("default_pool_size", pool);
    sizing.put("reserve_pool_size", reserve);
    sizing.put("max_db_connections", budget);
    sizing.put("max_client_conn", clients);
    sizing.put("max_client_conn_from", o.appMaxConnections() != null ? "--app-max-connections"
        : "twice the " + e.limits().clientBackends() + " client connections open now (at least " + MIN_CLIENTS + ")");

    String mode = o.poolMode();
    if (mode.equals("auto")) {
      mode = e.features().any() ? "session" : "transaction";
    }
    sizing.put("pool_mode", mode);
    for (Map.Entry<SessionFeatures.Feature, List<String>> f : e.features().found().entrySet()) {
      String what = f.getKey().label() + " (" + String.join("; ", f.getValue()) + ")";
      if (mode.equals("transaction")) {
        warnings.add("transaction mode breaks " + what + ": " + f.getKey().breaks() + "; use " + f.getKey().instead());
      } else {
        warnings.add("session mode because of " + what + "; for transaction mode (many more clients per server"
            + " connection) use " + f.getKey().instead());
      }
    }
    if (!e.features().statementsSeen()) {
      warnings.add("pg_stat_statements is not readable here, so session features (SET, advisory locks, LISTEN, PREPARE)"
          + " were looked for only in what sessions hold now; check the application before using transaction mode");
    }
    boolean prepared = o.pgbouncerVersion() == null || atLeast(o.pgbouncerVersion(), PREPARED_STATEMENTS_SINCE);
    if (mode.equals("transaction") && !prepared) {
      warnings.add("PgBouncer " + o.pgbouncerVersion()[0] + "." + o.pgbouncerVersion()[1] + " cannot keep protocol-level"
          + " prepared statements across transactions (1.21 can: max_prepared_statements): Java clients need"
          + " prepareThreshold=0 in the JDBC URL, others their driver's equivalent");
    }

    String authType = e.passwordEncryption().equals("md5") ? "md5" : "scram-sha-256";
    StringBuilder users = new StringBuilder();
    List<String> withoutSecret = new ArrayList<>();
    for (PoolerEvidence.Role r : e.roles()) {
      if (r.name().chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
        warnings.add("a role whose name holds a control character is left out of userlist.txt");
        continue;
      }
      if (r.superuser()) {
        warnings.add("role " + r.name() + " is a superuser and uses the database: give the application a role of its own");
      }
      if (r.secret() != null && (r.secret().startsWith("SCRAM-SHA-256$") || r.secret().startsWith("md5"))) {
        users.append(quote(r.name())).append(' ').append(quote(r.secret())).append('\n');
        if (authType.equals("scram-sha-256") && !r.secret().startsWith("SCRAM-SHA-256$")) {
          warnings.add("role " + r.name() + " has an MD5 password: SCRAM authentication through the pooler needs it set"
              + " again with password_encryption = scram-sha-256");
        }
      } else {
        withoutSecret.add(r.name());
      }
    }
    if (!withoutSecret.isEmpty()) {
      warnings.add("no password secret readable for " + String.join(", ", withoutSecret) + " (reading pg_authid needs a"
          + " superuser): as one, run psql -Atc \"SELECT format('\\\"%s\\\" \\\"%s\\\"', rolname, rolpassword) FROM pg_authid"
          + " WHERE rolname IN (" + String.join(", ", withoutSecret.stream().map(n -> "'" + n.replace("'", "''") + "'").toList())
          + ")\" >> " + o.dir() + "/userlist.txt, or set up auth_query with a SECURITY DEFINER lookup function");
    }

    List<String> lines = new ArrayList<>();
    lines.add(";; written by pgopt pooler config for " + e.database() + " at " + o.host() + ":" + o.port());
    lines.add(";; sizing: peak of " + e.peakActive() + " busy sessions x " + HEADROOM + ", " + pairs + " pool(s), "
        + available + " server slots for ordinary roles, " + others + " left for other clients");
    lines.add("[databases]");
    lines.add(iniKey(e.database()) + " = host=" + connValue(o.host()) + " port=" + o.port() + " dbname=" + connValue(e.database()));
    lines.add("");
    lines.add("[pgbouncer]");
    lines.add("listen_addr = " + o.listenAddr());
    lines.add("listen_port = " + o.listenPort());
    lines.add("auth_type = " + authType);
    lines.add("auth_file = " + o.dir() + "/userlist.txt");
    lines.add("pool_mode = " + mode);
    lines.add("max_client_conn = " + clients);
    lines.add("default_pool_size = " + pool);
    lines.add("min_pool_size = 0");
    lines.add("reserve_pool_size = " + reserve);
    lines.add("reserve_pool_timeout = 3");
    lines.add("max_db_connections = " + budget);
    if (mode.equals("transaction") && prepared) {
      lines.add(";; PgBouncer 1.21+: keeps the clients' protocol-level prepared statements per server connection");
      lines.add("max_prepared_statements = 200");
    }
    // the server closes idle sessions at idle_session_timeout: the pooler must close its own first, or it hands out
    // connections the server already dropped
    long idle = e.limits().idleSessionTimeoutMs() > 0 ? Math.max(1, Math.min(600, e.limits().idleSessionTimeoutMs() / 2000)) : 600;
    lines.add("server_idle_timeout = " + idle);
    lines.add("server_lifetime = 3600");
    lines.add(";; statement_timeout is the server's job (" + (e.limits().statementTimeoutMs() == 0 ? "off there now"
        : e.limits().statementTimeoutMs() / 1000 + " s there now") + "): a pooler query_timeout would drop the connection");
    lines.add("query_timeout = 0");
    lines.add("query_wait_timeout = 120");
    if (e.limits().idleInTransactionTimeoutMs() == 0) {
      lines.add(";; the server has no idle_in_transaction_session_timeout: a client that forgets to commit holds a"
          + " server connection until this");
      lines.add("idle_transaction_timeout = 600");
    }
    if (e.ssl()) {
      lines.add("server_tls_sslmode = " + (isLoopback(o.host()) ? "prefer" : "require"));
    }
    lines.add(";; pgjdbc sends extra_float_digits at connect");
    lines.add("ignore_startup_parameters = extra_float_digits");
    lines.add(";; pgopt pooler check and the monitor read the admin console (SHOW commands only) as this role");
    lines.add("stats_users = " + iniKey(o.statsUser()));
    lines.add("logfile = " + o.dir() + "/pgbouncer.log");
    lines.add("pidfile = " + o.dir() + "/pgbouncer.pid");
    lines.add("");
    if (!isLoopback(o.listenAddr())) {
      warnings.add("listen_addr " + o.listenAddr() + " accepts clients from the network without TLS: set client_tls_sslmode,"
          + " client_tls_key_file and client_tls_cert_file before exposing it");
    }
    warnings.add(String.format(Locale.ROOT, "PgBouncer needs a file descriptor per client and server connection: ulimit -n"
        + " of at least %d for its user", clients + pairs * (pool + reserve) + 50));
    return new PgBouncerConfig(String.join("\n", lines), users.toString(), sizing, warnings);
  }

  static boolean atLeast(int[] version, int[] wanted) {
    return version[0] > wanted[0] || version[0] == wanted[0] && version[1] >= wanted[1];
  }

  private static boolean isLoopback(String host) {
    return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1") || host.startsWith("/");
  }

  private static int roundUp(int n, int step) {
    return (n + step - 1) / step * step;
  }

  /** A userlist.txt field: double quotes doubled. */
  private static String quote(String s) {
    return '"' + s.replace("\"", "\"\"") + '"';
  }

  /** A name as an ini key or list item: double-quoted (quotes doubled) when it is not a plain identifier. */
  static String iniKey(String name) {
    return PLAIN.matcher(name).matches() ? name : '"' + name.replace("\"", "\"\"") + '"';
  }

  /** A value in a [databases] connection string: single-quoted, backslash-escaped, when not plain. */
  static String connValue(String value) {
    return PLAIN.matcher(value).matches() ? value : "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static final java.util.regex.Pattern PLAIN = java.util.regex.Pattern.compile("[A-Za-z0-9_.:-]+");
}
