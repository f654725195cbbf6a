package dev.pgopt.advise.prove;

import dev.pgopt.advise.Finding;
import dev.pgopt.advise.whatif.ParameterValues;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code advise --prove}: the proposed indexes measured for real before anyone applies them. The read-only statements
 * the proposals claim to help, and the workload's other read statements whose plans the indexes change, run
 * (EXPLAIN ANALYZE, values from the columns' statistics, see {@link ParameterValues}) without the indexes and then with
 * all of them, built inside a transaction that is rolled back: nothing stays behind. A statement that runs slower
 * beyond noise drops the proposals whose indexes its plan reads, with a note; when its plan reads several, it runs
 * again with each of them left out of the build in turn, and only those whose absence alone makes it as fast as
 * before are dropped (on TPC-H, Q9 read two proposals and only one made it slower); given a {@link Revision}, the advisor then
 * proposes again without the dropped indexes (another candidate may do their job without the regression: on TPC-H,
 * {@code lineitem (l_partkey, l_suppkey)} serves Q17 and Q20 like {@code lineitem (l_partkey)}, and Q9's nested loop
 * no longer reads four rows for each one it keeps). The set is measured again until no statement is slower; the
 * survivors carry the measured times and confidence {@code measured}.
 *
 * <p>The workload's other statements matter most: on TPC-H, an index the advisor proposed for the statements it
 * helps was taken by the planner for Q6 for a 1 % lower estimate, and Q6 ran twice as long.
 *
 * <p>The build takes a SHARE lock on each table until the rollback: writers to those tables wait meanwhile. So the
 * lock is only waited for {@code lockTimeout}, and tables larger than {@code maxTableBytes} are not built on at all.
 */
public final class IndexProof {
  /** A statement counts as slower beyond noise at this ratio of medians and this many milliseconds more ... */
  static final double SLOWER_RATIO = 1.2;
  static final double SLOWER_MS = 1.0;
  /** ... or at this ratio when every run with the indexes was slower than every run without them. */
  static final double SEPARATED_RATIO = 1.1;
  /**
   * Each round builds every remaining index again; a workload that needs more rounds is left unproven. Five: a
   * round that drops and one that measures what was proposed in place, twice over, and the last.
   */
  static final int MAX_ROUNDS = 5;

  /**
   * @param runs measured runs per statement and side, after one warm-up run
   * @param statementTimeout for each measured run
   * @param buildTimeout for each index build: a table near {@code maxTableBytes} takes minutes, not seconds
   * @param workloadStatements how many of the workload's read statements (by total time) are checked for plans the
   *     proposed indexes change
   */
  public record Options(int runs, Duration lockTimeout, Duration statementTimeout, Duration buildTimeout, long maxTableBytes,
                        int workloadStatements) {
    public static final Options DEFAULTS = new Options(5, Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofMinutes(30),
        1L << 30, 50);
  }

  /** The findings after the proof, and what it did. */
  public record Result(List<Finding> findings, List<String> notes) {}

  /** The advisor asked again: what it proposes when some of its proposals may not be used. */
  @FunctionalInterface
  public interface Revision {
    /** Never asks again: dropped proposals are only dropped. */
    Revision NONE = dropped -> null;

    /**
     * The index proposals ({@code index.missing} findings) without the indexes of {@code droppedIds}; {@code null} when
     * there is nothing to ask.
     */
    List<Finding> without(Set<String> droppedIds) throws SQLException;
  }

  private IndexProof() {}

  /**
   * @param workload pg_stat_statements' entries for the database: its read statements besides the ones the proposals
   *     claim are checked too
   */
  public static Result prove(Connection c, PlanGuard guard, List<Finding> findings, List<StatementEntry> workload, Options options)
      throws SQLException {
    return prove(c, guard, findings, workload, options, Revision.NONE);
  }

  /**
   * @param revision asked after each round that dropped proposals; its proposals replace the remaining ones (it runs
   *     between rounds, when this connection has no transaction open)
   */
  public static Result prove(Connection c, PlanGuard guard, List<Finding> findings, List<StatementEntry> workload, Options options,
                             Revision revision) throws SQLException {
    List<String> notes = new ArrayList<>();
    List<Finding> proposals = findings.stream().filter(IndexProof::buildsAnIndex).toList();
    if (proposals.isEmpty()) {
      return new Result(findings, notes);
    }
    Set<String> tables = tablesOf(proposals);
    boolean autoCommit = c.getAutoCommit();
    int networkTimeout = c.getNetworkTimeout();
    c.setAutoCommit(false);
    try {
      String tooLarge = tooLarge(c, tables, options);
      if (tooLarge != null) {
        notes.add(tooLarge);
        c.rollback();
        return new Result(findings, notes);
      }
      List<Finding> ever = new ArrayList<>(proposals);
      Statements statements = Statements.bind(c, guard, ever, tables, workload, options.workloadStatements(), notes);
      c.rollback();
      if (statements.runnable().isEmpty()) {
        return new Result(findings, notes);
      }
      Map<String, StatementTimer.Timing> before = new HashMap<>();
      Map<String, StatementTimer.Timing> after = Map.of();
      Set<String> unclaimed = new LinkedHashSet<>();
      List<Finding> kept = new ArrayList<>(proposals);
      Map<Finding, String> dropped = new LinkedHashMap<>();
      List<String> revisions = new ArrayList<>();
      boolean settled = false;
      int rounds = 0;
      while (!kept.isEmpty() && rounds < MAX_ROUNDS) {
        rounds++;
        build(c, kept, options);
        Set<String> names = new HashSet<>();
        Set<String> claimed = new HashSet<>();
        for (Finding f : kept) {
          names.add(f.object().index());
          statements(f).forEach(s -> claimed.add(Statements.key(s)));
        }
        Map<String, Set<String>> reads = StatementTimer.indexesUsed(c, statements.runnable());
        Map<String, String> measured = new LinkedHashMap<>();
        statements.runnable().forEach((key, sql) -> {
          boolean changed = reads.get(key) != null && !Collections.disjoint(reads.get(key), names);
          if (claimed.contains(key) || changed) {
            measured.put(key, sql);
            if (!claimed.contains(key)) {
              unclaimed.add(key);
            }
          }
        });
        after = StatementTimer.time(c, measured, options.runs(), options.statementTimeout().toMillis());
        c.rollback();
        Map<String, String> missing = new LinkedHashMap<>(measured);
        missing.keySet().removeAll(before.keySet());
        if (!missing.isEmpty()) {
          try (Statement s = c.createStatement()) {
            s.execute(Sql.OWN_MARK + "SET TRANSACTION READ ONLY");
          }
          before.putAll(StatementTimer.time(c, missing, options.runs(), options.statementTimeout().toMillis()));
          c.rollback();
        }
        List<Finding> guilty = new ArrayList<>();
        for (String key : measured.keySet()) {
          StatementTimer.Timing b = before.get(key);
          StatementTimer.Timing a = after.get(key);
          if (!slower(b, a)) {
            continue;
          }
          List<Finding> readers = kept.stream().filter(f -> reads.get(key) != null
              && reads.get(key).contains(f.object().index()) && !dropped.containsKey(f) && !guilty.contains(f)).toList();
          List<Finding> blamed = readers;
          String how = "";
          if (readers.size() > 1) {
            // which of them: the statement again with each one left out of the build; only those whose absence alone
            // makes it as fast as before are dropped (all of them when no single one does)
            List<Finding> alone = new ArrayList<>();
            for (Finding f : readers) {
              List<Finding> others = new ArrayList<>(readers);
              others.remove(f);
              build(c, others, options);
              StatementTimer.Timing t = StatementTimer.time(c, Map.of(key, measured.get(key)), options.runs(),
                  options.statementTimeout().toMillis()).get(key);
              c.rollback();
              if (t.failure() == null && !slower(b, t)) {
                alone.add(f);
              }
            }
            if (!alone.isEmpty() && alone.size() < readers.size()) {
              blamed = alone;
              how = String.format(Locale.ROOT, "; without it alone, of the %d proposed indexes its plan read, as fast as before",
                  readers.size());
            }
          }
          for (Finding f : blamed) {
            guilty.add(f);
            dropped.put(f, String.format(Locale.ROOT, "%s ran %.1f ms with it against %.1f ms without%s%s",
                key.startsWith("queryid ") ? key : shortened(key), a.ms(), b.ms(),
                claimed(f, key) ? "" : ", a statement it was not proposed for", how));
          }
        }
        if (guilty.isEmpty()) {
          settled = true;
          break;
        }
        kept.removeAll(guilty);
        List<Finding> revised = revised(c, revision, dropped.keySet(), options, notes);
        if (revised != null) {
          List<Finding> added = revised.stream().filter(f -> kept.stream().noneMatch(k -> k.id().equals(f.id()))).toList();
          if (!added.isEmpty()) {
            revisions.add(String.join(", ", added.stream().map(f -> f.object().index()).toList()));
            ever.addAll(added);
            tables.addAll(tablesOf(added));
            List<String> bindNotes = new ArrayList<>();
            statements = Statements.bind(c, guard, ever, tables, workload, options.workloadStatements(), bindNotes);
            c.rollback();
            bindNotes.stream().filter(n -> !notes.contains(n)).forEach(notes::add);
          }
          kept.clear();
          kept.addAll(revised);
        }
      }
      for (Map.Entry<Finding, String> d : dropped.entrySet()) {
        notes.add("prove: dropped " + d.getKey().object().index() + ": " + d.getValue() + " (median of " + options.runs() + " runs)");
      }
      for (String r : revisions) {
        notes.add("prove: proposed in their place, the advisor asked again without the dropped indexes: " + r);
      }
      Set<String> failed = new LinkedHashSet<>();
      Map<String, String> texts = statements.texts();
      for (Map<String, StatementTimer.Timing> side : List.of(before, after)) {
        side.forEach((key, t) -> {
          if (t.failure() != null && failed.add(key)) {
            notes.add("prove: not measured: " + shortened(texts.get(key)) + ": " + t.failure());
          }
        });
      }
      if (!settled && !kept.isEmpty()) {
        notes.add("prove: after " + rounds + " rounds some statement was still slower; the " + kept.size()
            + " remaining proposals keep their what-if evidence, unmeasured as a set");
      }
      Map<String, GenericPlanCheck.Verdict> generic = settled ? generic(c, kept, statements, options, notes) : Map.of();
      // the other rules' findings in their order, the surviving proposals where the first proposal was
      List<Finding> out = new ArrayList<>();
      boolean placed = false;
      for (Finding f : findings) {
        if (!proposals.contains(f)) {
          out.add(f);
        } else if (!placed) {
          placed = true;
          for (Finding k : kept) {
            out.add(settled ? withGeneric(measured(k, before, after, options), generic) : k);
          }
        }
      }
      notes.add(String.format(Locale.ROOT, "prove: %d statements measured without and with the proposed indexes (%d of them"
          + " not claimed by any proposal but planned with a proposed index), %d round%s of building up to %d indexes in a"
          + " transaction that was rolled back", before.size(), unclaimed.size(), rounds, rounds == 1 ? "" : "s", ever.size()));
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

  /**
   * The claimed statements with parameters, with every kept index built, run with their own and with their generic
   * plans: an index set can be fast for each value's own plan and leave the generic plan, which the server switches a
   * prepared statement to, slow for the hot values ({@link GenericPlanCheck}). Those that are get a note.
   */
  private static Map<String, GenericPlanCheck.Verdict> generic(Connection c, List<Finding> kept, Statements statements,
                                                             Options options, List<String> notes) throws SQLException {
    Set<String> claimed = new LinkedHashSet<>();
    kept.forEach(f -> statements(f).forEach(s -> claimed.add(Statements.key(s))));
    claimed.retainAll(statements.prepared().keySet());
    if (claimed.isEmpty()) {
      return Map.of();
    }
    build(c, kept, options);
    Map<String, GenericPlanCheck.Verdict> out = new LinkedHashMap<>();
    for (String key : claimed) {
      GenericPlanCheck.Verdict v = GenericPlanCheck.measure(c, statements.prepared().get(key), Math.min(3, options.runs()),
          options.statementTimeout().toMillis());
      if (v.failure() == null) {
        out.put(key, v);
        if (v.slower()) {
          notes.add(String.format(Locale.ROOT, "prove: with the proposed indexes, %s runs its calls in %.1f ms on average"
                  + " with their own plans but %.1f ms with its generic plan, which about %.0f %% of sessions switch to"
                  + " (a prepared statement, after 5 executions); pgopt advise --prove reports it as %s once they are built",
              key.startsWith("queryid ") ? key : shortened(key), v.customMs(), v.genericMs(), 100 * v.switchShare(),
              SlowGenericPlans.RULE));
        }
      }
    }
    c.rollback();
    return out;
  }

  /** The finding with {@code generic_plan} in its measured evidence for the statements it claims that have a verdict. */
  private static Finding withGeneric(Finding f, Map<String, GenericPlanCheck.Verdict> generic) {
    Map<String, Object> plans = new LinkedHashMap<>();
    for (Map<String, Object> s : statements(f)) {
      GenericPlanCheck.Verdict v = generic.get(Statements.key(s));
      if (v != null) {
        Map<String, Object> e = new LinkedHashMap<>(v.evidence());
        e.remove("representative_calls");
        e.put("slower", v.slower());
        plans.put(Statements.key(s), e);
      }
    }
    if (plans.isEmpty()) {
      return f;
    }
    Map<String, Object> evidence = new LinkedHashMap<>(f.evidence());
    evidence.put("generic_plans", plans);
    return new Finding(f.id(), f.rule(), f.severity(), f.object(), f.title(), evidence, f.impact(), f.confidence(), f.action());
  }

  /**
   * The revision's proposals without the dropped ones, minus those on tables too large to build on (with a note);
   * {@code null} when the revision has nothing to say.
   */
  private static List<Finding> revised(Connection c, Revision revision, Set<Finding> dropped, Options options, List<String> notes)
      throws SQLException {
    Set<String> droppedIds = new LinkedHashSet<>();
    dropped.forEach(f -> droppedIds.add(f.id()));
    List<Finding> again = revision.without(droppedIds);
    c.rollback();
    if (again == null) {
      return null;
    }
    List<Finding> out = new ArrayList<>();
    for (Finding f : again) {
      if (!buildsAnIndex(f) || droppedIds.contains(f.id())) {
        continue;
      }
      String tooLarge = tooLarge(c, Set.of(f.object().schema() + "." + f.object().table()), options);
      c.rollback();
      if (tooLarge != null) {
        notes.add(tooLarge.replace("prove: not measured:", "prove: not taken in place of a dropped index:"));
      } else {
        out.add(f);
      }
    }
    return out;
  }

  private static Set<String> tablesOf(List<Finding> proposals) {
    Set<String> tables = new LinkedHashSet<>();
    for (Finding f : proposals) {
      tables.add(f.object().schema() + "." + f.object().table());
    }
    return tables;
  }

  /** Why the proof does not build on one of {@code tables}, or null. */
  private static String tooLarge(Connection c, Set<String> tables, Options options) throws SQLException {
    for (String table : tables) {
      long bytes = Sql.one(c, "SELECT pg_total_relation_size(to_regclass(?))", rs -> rs.getLong(1),
          Quoting.ident(table.substring(0, table.indexOf('.'))) + "." + Quoting.ident(table.substring(table.indexOf('.') + 1)));
      if (bytes > options.maxTableBytes()) {
        return String.format(Locale.ROOT, "prove: not measured: %s is %d MB, above the %d MB a proof builds on"
            + " (the build holds writers off until it is rolled back); measure on a copy", table, bytes >> 20,
            options.maxTableBytes() >> 20);
      }
    }
    return null;
  }

  /**
   * Whether {@code after} is slower than {@code before} beyond noise. A median 20 % slower counts when it is also
   * slower than every run before (a statement whose runs spread by more than that is not judged by its median alone:
   * a 25 ms statement measured 28 ms with an index its plan did not need); a median 10 % slower counts when the two
   * sides' runs do not overlap at all, which with n runs a side happens by chance with probability 1 / C(2n, n) (1/20
   * at 3 runs, 1/252 at 5): on TPC-H, Q9 ran 1.2 to 1.5 times slower with an index whose proof medians stayed within
   * 1.2, every run of it slower.
   */
  static boolean slower(StatementTimer.Timing before, StatementTimer.Timing after) {
    if (before.failure() != null || after.failure() != null || after.ms() - before.ms() <= SLOWER_MS) {
      return false;
    }
    return after.ms() > before.ms() * SLOWER_RATIO && after.ms() > before.max()
        || after.ms() > before.ms() * SEPARATED_RATIO && after.min() > before.max();
  }

  /** Builds the proposals' indexes in the current transaction (not concurrently: it is rolled back). */
  private static void build(Connection c, List<Finding> proposals, Options options) throws SQLException {
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
  }

  private static Finding measured(Finding f, Map<String, StatementTimer.Timing> before, Map<String, StatementTimer.Timing> after,
                                  Options options) {
    List<Map<String, Object>> measured = new ArrayList<>();
    for (Map<String, Object> s : statements(f)) {
      StatementTimer.Timing b = before.get(Statements.key(s));
      StatementTimer.Timing a = after.get(Statements.key(s));
      if (b != null && a != null && b.failure() == null && a.failure() == null) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("queryid", s.get("queryid"));
        m.put("ms_without", round(b.ms()));
        m.put("ms_with", round(a.ms()));
        measured.add(m);
      }
    }
    if (measured.isEmpty()) {
      return f;
    }
    Map<String, Object> evidence = new LinkedHashMap<>(f.evidence());
    evidence.put("measured", Map.of("runs", options.runs(), "statements", measured,
        "how", "EXPLAIN ANALYZE, median of the runs, with every proposed index that was kept built in a transaction that"
            + " was rolled back; no other read statement of the workload whose plan reads one of them ran slower"));
    return new Finding(f.id(), f.rule(), f.severity(), f.object(), f.title(), evidence, f.impact(), Finding.Confidence.MEASURED,
        f.action());
  }

  private static boolean claimed(Finding f, String key) {
    return statements(f).stream().anyMatch(s -> key.equals(Statements.key(s)));
  }

  private static boolean buildsAnIndex(Finding f) {
    return f.rule().equals("index.missing") && f.action() != null && f.action().sql().contains("CREATE INDEX")
        && f.evidence().get("statements") instanceof List<?>;
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> statements(Finding f) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : (List<Object>) f.evidence().get("statements")) {
      if (o instanceof Map<?, ?> m && m.get("query") instanceof String) {
        out.add((Map<String, Object>) m);
      }
    }
    return out;
  }

  private static double round(double ms) {
    return Math.round(ms * 100) / 100.0;
  }

  static String shortened(String query) {
    String one = query.replaceAll("\\s+", " ").strip();
    return one.length() <= 80 ? one : one.substring(0, 79) + "…";
  }
}
