package dev.pgopt.apply;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.advise.Finding;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
  private static final Pattern CREATE_INDEX = Pattern.compile(
      "(?is)^CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+CONCURRENTLY\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(\"(?:[^\"]|\"\")+\"|[^\\s(]+)\\s+ON\\s+(?:ONLY\\s+)?((?:\"(?:[^\"]|\"\")+\"|[^\\s.(\"]+)\\.)?");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Options options;
  private final Progress progress;
  private final Sleeper sleeper;

  public Applier(Options options, Progress progress, Sleeper sleeper) {
    this.options = options;
    this.progress = progress;
    this.sleeper = sleeper;
  }

  /**
   * @param connection an autocommit connection that may write
   * @param monitor a second connection, used for build progress; may be null
   */
  public List<Result> apply(Connection connection, Connection monitor, List<Finding> findings, Optional<StatementSnapshot> workload)
      throws SQLException, ApplyRefused {
    connection.setAutoCommit(true);
    if (Sql.one(connection, "SELECT pg_is_in_recovery()", rs -> rs.getBoolean(1))) {
      throw new ApplyRefused("the server is a standby: apply to the primary");
    }
    try {
      AuditLog.ensure(connection);
    } catch (SQLException e) {
      throw new ApplyRefused("role " + Sql.one(connection, "SELECT current_user", rs -> rs.getString(1))
          + " cannot write the audit log (" + firstLine(e.getMessage()) + "): --execute needs a role that owns the tables, "
          + "nothing was applied");
    }
    if (!Sql.one(connection, "SELECT pg_try_advisory_lock(?)", rs -> rs.getBoolean(1), LOCK_KEY)) {
      throw new ApplyRefused("another pgopt apply is running on this database (advisory lock held); nothing was applied");
    }
    try (Statement s = connection.createStatement()) {
      s.execute("SET lock_timeout = '" + options.lockTimeout().toMillis() + "ms'");
      s.execute("SET statement_timeout = '" + options.statementTimeout().toMillis() + "ms'");
      s.execute("SET application_name = 'pgopt apply'");
      List<Result> results = new ArrayList<>();
      for (Finding f : findings) {
        results.add(applyOne(connection, monitor, f, workload));
      }
      return results;
    } finally {
      Sql.one(connection, "SELECT pg_advisory_unlock(?)", rs -> rs.getBoolean(1), LOCK_KEY);
    }
  }

  private Result applyOne(Connection c, Connection monitor, Finding f, Optional<StatementSnapshot> workload) throws SQLException {
    long audit = AuditLog.start(c, f.id(), f.rule(), f.action().sql(), f.action().undoSql(), statementsBefore(f, workload));
    try {
      for (String sql : statements(f.action().sql())) {
        execute(c, monitor, sql);
      }
      AuditLog.finish(c, audit, true, null);
      return new Result(f.id(), true, "done", audit);
    } catch (SQLException | ApplyFailed e) {
      String message = firstLine(e.getMessage());
      AuditLog.finish(c, audit, false, message);
      return new Result(f.id(), false, message, audit);
    }
  }

  private void execute(Connection c, Connection monitor, String sql) throws SQLException, ApplyFailed {
    Matcher index = CREATE_INDEX.matcher(sql);
    boolean building = index.find();
    String schema = building && index.group(2) != null ? unquote(index.group(2).substring(0, index.group(2).length() - 1)) : "public";
    String name = building ? unquote(index.group(1)) : null;
    for (int attempt = 0; ; attempt++) {
      try {
        run(c, monitor, sql, name);
        if (building && !valid(c, schema, name)) {
          dropInvalid(c, schema, name);
          throw new ApplyFailed("index " + name + " was built INVALID; the leftover was dropped");
        }
        return;
      } catch (SQLException e) {
        if (building) {
          dropInvalid(c, schema, name);
        }
        boolean lockTimeout = "55P03".equals(e.getSQLState());
        if (!lockTimeout || attempt >= options.retries()) {
          throw new ApplyFailed((lockTimeout ? "gave up after " + (attempt + 1) + " attempts waiting for locks: " : "")
              + firstLine(e.getMessage()) + (building ? " (no INVALID index was left behind)" : ""));
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

  private static boolean valid(Connection c, String schema, String index) throws SQLException {
    return Sql.list(c, """
        SELECT x.indisvalid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
         WHERE n.nspname = ? AND i.relname = ?""", rs -> rs.getBoolean(1), schema, index).stream().findFirst().orElse(false);
  }

  private static void dropInvalid(Connection c, String schema, String index) throws SQLException {
    boolean invalidExists = Sql.list(c, """
        SELECT 1 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
         WHERE n.nspname = ? AND i.relname = ? AND NOT x.indisvalid""", rs -> 1, schema, index).size() > 0;
    if (invalidExists) {
      try (Statement s = c.createStatement()) {
        s.execute("DROP INDEX CONCURRENTLY IF EXISTS " + quote(schema) + "." + quote(index));
      }
    }
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

  private static String unquote(String s) {
    return s.startsWith("\"") ? s.substring(1, s.length() - 1).replace("\"\"", "\"") : s;
  }

  private static String quote(String s) {
    return dev.pgopt.advise.whatif.Quoting.ident(s);
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
