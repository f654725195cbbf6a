package dev.pgopt.apply;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.IndexStatement;
import dev.pgopt.collect.StatementCounters;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Executes findings' actions without hurting production: one at a time, outside transactions (CONCURRENTLY needs
 * that), under {@code lock_timeout} with retries and backoff, behind an advisory lock so two pgopt runs cannot race,
 * checking after each index build that the index is valid and dropping an INVALID leftover when it is not. Every
 * action is written to {@link AuditLog} with the statistics of the statements it should help.
 */
public final class Applier {
  /** Reports index build progress; the no-op default costs nothing. */
  @FunctionalInterface
  public interface Progress {
    Progress NONE = (index, phase, percent) -> { };

    void update(String index, String phase, double percent);
  }

  /** Opens a fresh connection to the same database: how an outcome is recorded after the connection was lost. */
  @FunctionalInterface
  public interface Reconnect {
    Reconnect NONE = () -> {
      throw new SQLException("no way to reconnect", "08003");
    };

    Connection open() throws Exception;
  }

  /** Waits between retries; injectable so tests do not sleep. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  public record Options(Duration lockTimeout, Duration statementTimeout, int retries, Duration backoff) {
    public static Options defaults() {
      return new Options(Duration.ofSeconds(5), Duration.ofHours(1), 3, Duration.ofSeconds(1));
    }
  }

  public record Result(String findingId, boolean succeeded, String message, long auditId) {}

  static final long LOCK_KEY = 0x7067_6f70_7441_7070L; // "pgoptApp"
  private static final ObjectMapper JSON = new ObjectMapper();

  // the socket may stay silent this much longer than the server's own statement_timeout before pgjdbc gives up on it
  private static final Duration NETWORK_MARGIN = Duration.ofSeconds(60);

  private final Options options;
  private final Progress progress;
  private final Sleeper sleeper;
  private final Reconnect reconnect;

  public Applier(Options options, Progress progress, Sleeper sleeper) {
    this(options, progress, sleeper, Reconnect.NONE);
  }

  private Applier(Options options, Progress progress, Sleeper sleeper, Reconnect reconnect) {
    this.options = options;
    this.progress = progress;
    this.sleeper = sleeper;
    this.reconnect = reconnect;
  }

  /** How to reach the database again when the connection is lost mid-action, so the action still gets a final state. */
  public Applier reconnectingWith(Reconnect reconnect) {
    return new Applier(options, progress, sleeper, reconnect);
  }

  /**
   * @param connection an autocommit connection that may write
   * @param monitor a second connection, used for build progress; may be null
   */
  public List<Result> apply(Connection connection, Connection monitor, List<Finding> findings, Optional<StatementSnapshot> workload)
      throws SQLException, ApplyRefused {
    String contradiction = contradiction(findings);
    if (contradiction != null) {
      throw new ApplyRefused("the plan contradicts itself: " + contradiction + "; nothing was applied");
    }
    connection.setAutoCommit(true);
    if (Sql.one(connection, "SELECT pg_is_in_recovery()", rs -> rs.getBoolean(1))) {
      throw new ApplyRefused("the server is a standby: apply to the primary");
    }
    try {
      AuditLog.ensure(connection);
    } catch (SQLException e) {
      if (connection.isClosed() || e.getSQLState() != null && (e.getSQLState().startsWith("08") || e.getSQLState().startsWith("57"))) {
        throw e; // the connection went away or the server shut it: not a question of the role's rights
      }
      throw new ApplyRefused("role " + Sql.one(connection, "SELECT current_user", rs -> rs.getString(1))
          + " cannot write the audit log (" + firstLine(e.getMessage()) + "): --execute needs a role that owns the tables, "
          + "nothing was applied");
    }
    if (!Sql.one(connection, "SELECT pg_try_advisory_lock(?)", rs -> rs.getBoolean(1), LOCK_KEY)) {
      throw new ApplyRefused("another pgopt apply is running on this database (advisory lock held); nothing was applied");
    }
    int networkTimeout = connection.getNetworkTimeout();
    boolean lost = false;
    try (Statement s = connection.createStatement()) {
      // holding the lock, no other run is active: a row still 'running' was left by one that died
      reconcile(connection);
      s.execute(Sql.OWN_MARK + "SET lock_timeout = '" + options.lockTimeout().toMillis() + "ms'");
      s.execute(Sql.OWN_MARK + "SET statement_timeout = '" + options.statementTimeout().toMillis() + "ms'");
      s.execute(Sql.OWN_MARK + "SET application_name = 'pgopt apply'");
      // the server enforces the build's statement_timeout; the socket must not give up before it does
      connection.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE,
          options.statementTimeout().plus(NETWORK_MARGIN).toMillis()));
      int pid = Sql.one(connection, "SELECT pg_backend_pid()", rs -> rs.getInt(1));
      List<Result> results = new ArrayList<>();
      for (Finding f : findings) {
        if (lost) {
          results.add(new Result(f.id(), false, "not attempted: the connection was lost during an earlier action", 0));
          continue;
        }
        Result r = applyOne(connection, monitor, pid, f, workload);
        lost = connectionLost(connection);
        results.add(r);
      }
      return results;
    } finally {
      if (!lost && !connectionLost(connection)) {
        connection.setNetworkTimeout(Runnable::run, networkTimeout);
        Sql.one(connection, "SELECT pg_advisory_unlock(?)", rs -> rs.getBoolean(1), LOCK_KEY);
      }
    }
  }

  private Result applyOne(Connection c, Connection monitor, int pid, Finding f, Optional<StatementSnapshot> workload)
      throws SQLException {
    long audit = AuditLog.start(c, f.id(), f.rule(), f.action().sql(), f.action().undoSql(), statementsBefore(f, workload));
    try {
      List<String> notes = new ArrayList<>();
      for (String sql : statements(f.action().sql())) {
        execute(c, monitor, sql, notes);
      }
      String message = notes.isEmpty() ? "done" : "done; " + String.join("; ", notes);
      AuditLog.finish(c, audit, AuditLog.Status.SUCCEEDED, notes.isEmpty() ? null : String.join("; ", notes));
      return new Result(f.id(), true, message, audit);
    } catch (SQLException | ApplyFailed e) {
      if (!connectionLost(c)) {
        String message = firstLine(e.getMessage());
        AuditLog.finish(c, audit, AuditLog.Status.FAILED, message);
        return new Result(f.id(), false, message, audit);
      }
      return afterLostConnection(f, audit, pid, firstLine(e.getMessage()));
    }
  }

  /** Two actions that build the same index, drop one index twice, or drop and rebuild one index; null when none. */
  static String contradiction(List<Finding> findings) {
    Map<String, String> built = new LinkedHashMap<>();
    Map<String, String> dropped = new LinkedHashMap<>();
    Map<String, String> rebuilt = new LinkedHashMap<>();
    for (Finding f : findings) {
      if (f.action() == null) {
        continue;
      }
      for (IndexStatement s : IndexStatement.of(f.action().sql())) {
        String earlier = switch (s.kind()) {
          case CREATE -> built.putIfAbsent(s.definition(), f.id());
          case DROP -> dropped.putIfAbsent(s.indexKey(), f.id());
          case REINDEX -> rebuilt.putIfAbsent(s.indexKey(), f.id());
          case OTHER -> null;
        };
        if (earlier != null && !earlier.equals(f.id())) {
          return f.id() + " and " + earlier + " both " + s.kind().name().toLowerCase(java.util.Locale.ROOT) + " "
              + (s.kind() == IndexStatement.Kind.CREATE ? "an index ON " + s.definition() : s.indexKey());
        }
      }
    }
    for (Map.Entry<String, String> r : rebuilt.entrySet()) {
      if (dropped.containsKey(r.getKey())) {
        return r.getValue() + " rebuilds " + r.getKey() + ", which " + dropped.get(r.getKey()) + " drops";
      }
    }
    return null;
  }

  private static boolean connectionLost(Connection c) {
    try {
      return c.isClosed() || !c.isValid(5);
    } catch (SQLException e) {
      return true;
    }
  }

  /**
   * The connection died mid-action (a network cut, a terminated backend). The server may still be working on it: wait
   * for the old backend to end, look at what it left, and record that on a fresh connection.
   */
  private Result afterLostConnection(Finding f, long audit, int pid, String error) {
    try (Connection fresh = reconnect.open()) {
      fresh.setAutoCommit(true);
      long deadline = System.nanoTime() + options.statementTimeout().plus(NETWORK_MARGIN).toNanos();
      while (Sql.one(fresh, "SELECT count(*) FROM pg_stat_activity WHERE pid = ?", rs -> rs.getLong(1), pid) > 0) {
        if (System.nanoTime() > deadline) {
          String m = "the connection was lost (" + error + ") and backend " + pid + " is still working on it; "
              + "the next pgopt apply records how it ended";
          return new Result(f.id(), false, m, audit);
        }
        sleeper.sleep(Duration.ofMillis(500));
      }
      Outcome o = outcome(fresh, f.action().sql(), "the connection was lost (" + error + ")");
      AuditLog.finish(fresh, audit, o.status(), o.message());
      return new Result(f.id(), o.status() == AuditLog.Status.SUCCEEDED, o.message(), audit);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return new Result(f.id(), false, "the connection was lost (" + error + ") and pgopt could not reconnect to record the "
          + "outcome (" + firstLine(e.getMessage()) + "); the next pgopt apply records it", audit);
    }
  }

  private record Outcome(AuditLog.Status status, String message) {}

  /** What an action that was cut off left behind, judged from the catalog; INVALID leftovers are dropped. */
  private Outcome outcome(Connection c, String actionSql, String why) throws SQLException {
    for (String sql : statements(actionSql)) {
      if (sql.matches("(?is)^(SET|RESET)\\s.*")) {
        continue; // session settings for the build: gone with the session, nothing to look for
      }
      Optional<IndexStatement.BuiltIndex> built = IndexStatement.built(sql);
      if (built.isEmpty()) {
        return new Outcome(AuditLog.Status.UNKNOWN, why + "; pgopt cannot tell from the catalog whether " + firstLine(sql)
            + " took effect: check it by hand");
      }
      String schema = built.get().schema();
      String name = built.get().name();
      Boolean valid = indexValidity(c, schema, name);
      if (valid == null) {
        return new Outcome(AuditLog.Status.FAILED, why + "; index " + name + " does not exist");
      }
      if (!valid) {
        String left = dropInvalid(c, schema, name);
        return new Outcome(AuditLog.Status.FAILED, why + "; index " + name + " was INVALID"
            + (left == null ? " and was dropped" : ": " + left));
      }
    }
    return new Outcome(AuditLog.Status.SUCCEEDED, why + ", but the server finished it: the index is valid");
  }

  /** Rows left 'running' by a run that died (a crash, a kill -9): settled from the catalog. */
  private void reconcile(Connection c) throws SQLException {
    for (AuditLog.Entry e : AuditLog.running(c)) {
      Outcome o = outcome(c, e.sql(), "reconciled: left running by an interrupted run");
      AuditLog.finish(c, e.id(), o.status(), o.message());
    }
  }

  private void execute(Connection c, Connection monitor, String sql, List<String> notes) throws SQLException, ApplyFailed {
    Optional<IndexStatement.BuiltIndex> built = IndexStatement.built(sql);
    boolean building = built.isPresent();
    String schema = built.map(IndexStatement.BuiltIndex::schema).orElse(null);
    String name = built.map(IndexStatement.BuiltIndex::name).orElse(null);
    if (building) {
      // an earlier run's leftover must not make this one fail with "already exists"
      Boolean before = indexValidity(c, schema, name);
      if (before == Boolean.FALSE) {
        String left = dropInvalid(c, schema, name);
        if (left != null) {
          throw new ApplyFailed("an INVALID index " + name + " from an earlier attempt is in the way: " + left);
        }
        notes.add("dropped the INVALID index " + name + " an earlier attempt left");
      }
    }
    for (int attempt = 0; ; attempt++) {
      try {
        run(c, monitor, sql, name);
        if (building && indexValidity(c, schema, name) != Boolean.TRUE) {
          String left = dropInvalid(c, schema, name);
          throw new ApplyFailed("index " + name + " was built INVALID; " + (left == null ? "the leftover was dropped" : left));
        }
        return;
      } catch (SQLException e) {
        if (connectionLost(c)) {
          throw e;
        }
        String left = building ? dropInvalid(c, schema, name) : null;
        boolean lockTimeout = "55P03".equals(e.getSQLState());
        if (!lockTimeout || attempt >= options.retries() || left != null) {
          throw new ApplyFailed((lockTimeout ? "gave up after " + (attempt + 1) + " attempts waiting for locks: " : "")
              + firstLine(e.getMessage()) + (building ? left == null ? " (no INVALID index was left behind)" : " (" + left + ")" : ""));
        }
        try {
          sleeper.sleep(options.backoff().multipliedBy(1L << attempt));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new ApplyFailed("interrupted while waiting to retry");
        }
      }
    }
  }

  private void run(Connection c, Connection monitor, String sql, String index) throws SQLException {
    if (index == null || monitor == null || progress == Progress.NONE) {
      try (Statement s = c.createStatement()) {
        s.execute(sql);
      }
      return;
    }
    int pid = Sql.one(c, "SELECT pg_backend_pid()", rs -> rs.getInt(1));
    ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "pgopt-apply");
      t.setDaemon(true);
      return t;
    });
    try {
      Future<Void> build = worker.submit(() -> {
        try (Statement s = c.createStatement()) {
          s.execute(sql);
        }
        return null;
      });
      while (!build.isDone()) {
        Sql.list(monitor, """
            SELECT phase, CASE WHEN blocks_total > 0 THEN 100.0 * blocks_done / blocks_total
                               WHEN tuples_total > 0 THEN 100.0 * tuples_done / tuples_total ELSE 0 END
              FROM pg_stat_progress_create_index WHERE pid = ?""",
            rs -> {
              progress.update(index, rs.getString(1), rs.getDouble(2));
              return null;
            }, pid);
        try {
          build.get(500, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException notYet) {
          // poll again
        }
      }
      build.get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof SQLException sqlException) {
        throw sqlException;
      }
      throw new SQLException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted", e);
    } finally {
      worker.shutdownNow();
    }
  }

  /** Whether the index is valid; null when there is none of that name. */
  private static Boolean indexValidity(Connection c, String schema, String index) throws SQLException {
    return Sql.list(c, """
        SELECT x.indisvalid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
         WHERE n.nspname = ? AND i.relname = ?""", rs -> rs.getBoolean(1), schema, index).stream().findFirst().orElse(null);
  }

  /**
   * Drops an INVALID index, retrying on lock timeouts as the build does (the DROP waits for the same transactions).
   *
   * @return null when nothing invalid is left, else what was left and how to remove it
   */
  private String dropInvalid(Connection c, String schema, String index) throws SQLException {
    String drop = dev.pgopt.advise.IndexDefinition.dropIfExists(schema, index);
    SQLException last = null;
    for (int attempt = 0; attempt <= options.retries(); attempt++) {
      if (indexValidity(c, schema, index) != Boolean.FALSE) {
        return null;
      }
      try (Statement s = c.createStatement()) {
        s.execute(drop);
        return null;
      } catch (SQLException e) {
        if (!"55P03".equals(e.getSQLState())) {
          throw e;
        }
        last = e;
      }
      try {
        sleeper.sleep(options.backoff().multipliedBy(1L << attempt));
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return "the INVALID index " + schema + "." + index + " was left behind (" + (last == null ? "interrupted" : firstLine(last.getMessage()))
        + "); drop it with " + drop;
  }

  /** The statistics of the statements a finding should help, as they are now: what verify compares with. */
  private static String statementsBefore(Finding f, Optional<StatementSnapshot> workload) {
    Object statements = f.evidence().get("statements");
    if (workload.isEmpty() || !(statements instanceof List<?> list)) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Object o : list) {
      if (o instanceof Map<?, ?> m && m.get("queryid") instanceof Number q) {
        for (StatementEntry e : workload.get().entries()) {
          if (e.queryId() == q.longValue()) {
            StatementCounters c = e.counters();
            out.put(Long.toString(e.queryId()), Map.of("calls", c.calls(), "total_exec_ms", c.totalExecMs(),
                "shared_blks_read", c.sharedBlksRead(), "shared_blks_hit", c.sharedBlksHit(), "query", e.query()));
          }
        }
      }
    }
    try {
      return out.isEmpty() ? null : JSON.writeValueAsString(out);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An action's statements: one per line group ending in ';' (comments after it allowed). */
  public static List<String> statements(String sql) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String line : sql.split("\n")) {
      int comment = line.indexOf("--");
      String code = (comment >= 0 ? line.substring(0, comment) : line).strip();
      cur.append(code).append('\n');
      if (code.endsWith(";")) {
        String stmt = cur.toString().strip();
        out.add(stmt.substring(0, stmt.length() - 1).strip());
        cur.setLength(0);
      }
    }
    if (!cur.toString().isBlank()) {
      out.add(cur.toString().strip());
    }
    return out;
  }

  private static String quote(String s) {
    return dev.pgopt.connect.Quoting.ident(s);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).replaceFirst("^ERROR: ", "");
  }

  /** The run cannot start; nothing was applied. */
  public static final class ApplyRefused extends Exception {
    public ApplyRefused(String message) {
      super(message);
    }
  }

  static final class ApplyFailed extends Exception {
    ApplyFailed(String message) {
      super(message);
    }
  }
}
