package dev.pgopt.advise.prove;

import dev.pgopt.advise.Finding;
import dev.pgopt.advise.whatif.ParameterValues;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.SqlText;
import dev.pgopt.collect.StatementRefused;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code advise --prove}: the proposed indexes measured for real before anyone applies them. The read-only statements
 * the proposals claim to help run (EXPLAIN ANALYZE, values from the columns' statistics, see {@link ParameterValues})
 * without the indexes and then with all of them, built inside one transaction that is rolled back: nothing stays
 * behind. A proposal under which any of its statements runs slower beyond noise is dropped, with a note; the others
 * carry the measured times and confidence {@code measured}.
 *
 * <p>The build takes a SHARE lock on each table until the rollback: writers to those tables wait meanwhile. So the
 * lock is only waited for {@code lockTimeout}, and tables larger than {@code maxTableBytes} are not built on at all.
 */
public final class IndexProof {
  /** A statement counts as slower beyond noise at this ratio of medians and this many milliseconds more. */
  static final double SLOWER_RATIO = 1.2;
  static final double SLOWER_MS = 1.0;

  /**
   * @param runs measured runs per statement and side, after one warm-up run
   * @param statementTimeout for each measured run
   * @param buildTimeout for each index build: a table near {@code maxTableBytes} takes minutes, not seconds
   */
  public record Options(int runs, Duration lockTimeout, Duration statementTimeout, Duration buildTimeout, long maxTableBytes) {
    public static final Options DEFAULTS = new Options(5, Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofMinutes(30),
        1L << 30);
  }

  /** The findings after the proof, and what it did. */
  public record Result(List<Finding> findings, List<String> notes) {}

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  private IndexProof() {}

  public static Result prove(Connection c, PlanGuard guard, List<Finding> findings, Options options) throws SQLException {
    List<String> notes = new ArrayList<>();
    List<Finding> proposals = findings.stream().filter(IndexProof::buildsAnIndex).toList();
    if (proposals.isEmpty()) {
      return new Result(findings, notes);
    }
    Set<String> tables = new LinkedHashSet<>();
    for (Finding f : proposals) {
      tables.add(f.object().schema() + "." + f.object().table());
    }
    boolean autoCommit = c.getAutoCommit();
    int networkTimeout = c.getNetworkTimeout();
    c.setAutoCommit(false);
    try {
      for (String table : tables) {
        long bytes = Sql.one(c, "SELECT pg_total_relation_size(to_regclass(?))", rs -> rs.getLong(1),
            dev.pgopt.advise.whatif.Quoting.ident(table.substring(0, table.indexOf('.'))) + "."
                + dev.pgopt.advise.whatif.Quoting.ident(table.substring(table.indexOf('.') + 1)));
        if (bytes > options.maxTableBytes()) {
          notes.add(String.format(Locale.ROOT, "prove: not measured: %s is %d MB, above the %d MB a proof builds on"
              + " (the build holds writers off until it is rolled back); measure on a copy", table, bytes >> 20,
              options.maxTableBytes() >> 20));
          c.rollback();
          return new Result(findings, notes);
        }
      }
      // the statements each proposal claims, runnable with values from the statistics
      ParameterValues values = new ParameterValues(c);
      Map<String, String> runnable = new LinkedHashMap<>();
      Set<String> tried = new java.util.HashSet<>();
      for (Finding f : proposals) {
        for (Map<String, Object> s : statements(f)) {
          String query = (String) s.get("query");
          if (!tried.add(query) || !SqlText.startsAsQuery(query)) {
            continue;
          }
          // a column is looked up in the proposal's own table first: other proposals' tables share names (created_at)
          ParameterValues.Bound bound = values.bind(query, Set.of(f.object().schema() + "." + f.object().table()), 10);
          if (bound.sql() == null) {
            bound = values.bind(query, tables, 10);
          }
          if (bound.sql() == null) {
            notes.add("prove: not measured: " + shortened(query) + ": " + bound.problem());
            continue;
          }
          try {
            runnable.put(query, guard.admit(c, bound.sql(), true));
          } catch (StatementRefused refused) {
            notes.add("prove: not measured: " + shortened(query) + ": " + refused.getMessage());
          }
        }
      }
      c.rollback();
      if (runnable.isEmpty()) {
        return new Result(findings, notes);
      }
      try (Statement s = c.createStatement()) {
        s.execute(Sql.OWN_MARK + "SET TRANSACTION READ ONLY");
      }
      Map<String, Double> before = measure(c, runnable, options);
      c.rollback();
      // the connection's socket timeout would cut a long build whatever statement_timeout says
      c.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, options.buildTimeout().plusSeconds(60).toMillis()));
      try (Statement s = c.createStatement()) {
        s.execute(Sql.OWN_MARK + "SET LOCAL lock_timeout = '" + options.lockTimeout().toMillis() + "ms'");
        s.execute(Sql.OWN_MARK + "SET LOCAL statement_timeout = '" + options.buildTimeout().toMillis() + "ms'");
        for (Finding f : proposals) {
          for (String ddl : f.action().sql().split(";\\s*")) {
            if (!ddl.isBlank()) {
              s.execute(Sql.OWN_MARK + ddl.replace("CREATE INDEX CONCURRENTLY ", "CREATE INDEX "));
            }
          }
        }
      }
      Map<String, Double> after = measure(c, runnable, options);
      c.rollback();
      List<Finding> out = new ArrayList<>();
      for (Finding f : findings) {
        if (!proposals.contains(f)) {
          out.add(f);
          continue;
        }
        List<Map<String, Object>> measured = new ArrayList<>();
        String slower = null;
        for (Map<String, Object> s : statements(f)) {
          String query = (String) s.get("query");
          Double b = before.get(query);
          Double a = after.get(query);
          if (b == null || a == null) {
            continue;
          }
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("queryid", s.get("queryid"));
          m.put("ms_without", round(b));
          m.put("ms_with", round(a));
          measured.add(m);
          if (a > b * SLOWER_RATIO && a - b > SLOWER_MS && slower == null) {
            slower = String.format(Locale.ROOT, "queryid %s ran %.1f ms with it against %.1f ms without", s.get("queryid"), a, b);
          }
        }
        if (slower != null) {
          notes.add("prove: dropped " + f.object().index() + ": " + slower + " (median of " + options.runs() + " runs)");
          continue;
        }
        if (measured.isEmpty()) {
          out.add(f);
          continue;
        }
        Map<String, Object> evidence = new LinkedHashMap<>(f.evidence());
        evidence.put("measured", Map.of("runs", options.runs(), "statements", measured,
            "how", "EXPLAIN ANALYZE, median of the runs, with every proposed index built in a transaction that was rolled back"));
        out.add(new Finding(f.id(), f.rule(), f.severity(), f.object(), f.title(), evidence, f.impact(),
            Finding.Confidence.MEASURED, f.action()));
      }
      notes.add("prove: " + runnable.size() + " statements measured without and with the " + proposals.size()
          + " proposed indexes (built in a transaction, rolled back)");
      return new Result(out, notes);
    } catch (SQLException e) {
      c.rollback();
      if ("55P03".equals(e.getSQLState())) {
        notes.add("prove: not measured: a table was locked by other sessions beyond the lock timeout of "
            + options.lockTimeout().toMillis() + " ms; try at a quieter time");
        return new Result(findings, notes);
      }
      throw e;
    } finally {
      c.setNetworkTimeout(Runnable::run, networkTimeout);
      c.setAutoCommit(autoCommit);
    }
  }

  private static boolean buildsAnIndex(Finding f) {
    return f.rule().equals("index.missing") && f.action() != null && f.action().sql().contains("CREATE INDEX")
        && f.evidence().get("statements") instanceof List<?>;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> statements(Finding f) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : (List<Object>) f.evidence().get("statements")) {
      if (o instanceof Map<?, ?> m && m.get("query") instanceof String) {
        out.add((Map<String, Object>) m);
      }
    }
    return out;
  }

  /**
   * Median execution time per statement, in the current transaction. A run the statement timeout cuts counts as the
   * timeout (a lower bound), and its savepoint keeps the transaction, and the indexes built in it, usable.
   */
  private static Map<String, Double> measure(Connection c, Map<String, String> runnable, Options options) throws SQLException {
    Map<String, Double> out = new LinkedHashMap<>();
    try (Statement s = c.createStatement()) {
      s.execute(Sql.OWN_MARK + "SET LOCAL statement_timeout = '" + options.statementTimeout().toMillis() + "ms'");
      for (Map.Entry<String, String> e : runnable.entrySet()) {
        double[] ms = new double[options.runs()];
        java.sql.Savepoint sp = c.setSavepoint("pgopt_prove");
        try {
          for (int i = -1; i < options.runs(); i++) {
            try (ResultSet rs = s.executeQuery(Sql.OWN_MARK + "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + e.getValue())) {
              rs.next();
              double t = JSON.readTree(rs.getString(1)).get(0).path("Execution Time").asDouble();
              if (i >= 0) {
                ms[i] = t;
              }
            }
          }
          c.releaseSavepoint(sp);
        } catch (SQLException timeout) {
          if (!"57014".equals(timeout.getSQLState())) {
            throw timeout;
          }
          c.rollback(sp);
          Arrays.fill(ms, options.statementTimeout().toMillis());
        } catch (com.fasterxml.jackson.core.JsonProcessingException bad) {
          throw new SQLException("EXPLAIN ANALYZE returned something that is not JSON", bad);
        }
        Arrays.sort(ms);
        out.put(e.getKey(), ms[ms.length / 2]);
      }
    }
    return out;
  }

  private static double round(double ms) {
    return Math.round(ms * 100) / 100.0;
  }

  private static String shortened(String query) {
    String one = query.replaceAll("\\s+", " ").strip();
    return one.length() <= 80 ? one : one.substring(0, 79) + "…";
  }
}
