package dev.pgopt.advise.prove;

import dev.pgopt.advise.Finding;
import dev.pgopt.advise.whatif.ParameterValues;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.SqlText;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.collect.StatementRefused;
import dev.pgopt.collect.internal.SqlLexer;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The statements a proof runs, by key ({@link #key}: the queryid), as runnable text: the ones the proposals claim,
 * then the workload's read statements by total time. A claimed statement's text is taken from the workload, whole
 * (a finding's evidence carries only its first 200 characters). A statement no value can be found for, or that the
 * plan guard would not let {@code --analyze} run, is not run, with a note.
 *
 * @param runnable key to the text that runs, claimed statements first
 * @param texts key to pg_stat_statements' text, for notes
 * @param prepared for a claimed statement with parameters: the statement as an application prepares it, with its
 *     representative calls ({@link GenericPlanCheck})
 */
record Statements(Map<String, String> runnable, Map<String, String> texts, Map<String, ParameterValues.Prepared> prepared) {
  /** LIMIT for a claimed statement the workload does not hold: the proposal does not carry its typical row count. */
  private static final long CLAIMED_LIMIT = 10;

  /** How a statement of a finding's evidence, or of the workload, is known: its queryid, or its text without one. */
  static String key(Object queryId, String text) {
    return queryId != null ? "queryid " + queryId : text;
  }

  static String key(Map<String, Object> evidenceStatement) {
    return key(evidenceStatement.get("queryid"), (String) evidenceStatement.get("query"));
  }

  static Statements bind(Connection c, PlanGuard guard, List<Finding> proposals, Set<String> proposalTables,
                         List<StatementEntry> workload, int workloadStatements, List<String> notes) throws SQLException {
    ParameterValues values = new ParameterValues(c);
    Map<String, List<String>> tablesByName = tablesByName(c);
    Map<String, String> runnable = new LinkedHashMap<>();
    Map<String, String> texts = new HashMap<>();
    Map<String, ParameterValues.Prepared> prepared = new HashMap<>();
    Map<String, StatementEntry> byKey = new HashMap<>();
    workload.forEach(e -> byKey.putIfAbsent(key(e.queryId(), e.query()), e));
    for (Finding f : proposals) {
      for (Map<String, Object> s : IndexProof.statements(f)) {
        String key = key(s);
        StatementEntry entry = byKey.get(key);
        String query = entry != null ? entry.query() : (String) s.get("query");
        if (texts.containsKey(key) || !SqlText.startsAsQuery(query)) {
          continue;
        }
        texts.put(key, query);
        long limit = entry != null ? Math.max(1, entry.counters().typicalRows()) : CLAIMED_LIMIT;
        // a column is looked up in the proposal's own table first (tables share names: created_at), then in the
        // tables the statement names
        Set<String> boundTo = Set.of(f.object().schema() + "." + f.object().table());
        ParameterValues.Bound bound = values.bind(query, boundTo, limit);
        if (bound.sql() == null) {
          Set<String> named = named(query, tablesByName);
          boundTo = named.isEmpty() ? proposalTables : named;
          bound = values.bind(query, boundTo, limit);
        }
        String problem = admit(c, guard, key, bound, runnable);
        if (problem != null) {
          notes.add("prove: not measured: " + IndexProof.shortened(query) + ": " + problem);
        } else {
          ParameterValues.Prepared p = values.prepared(query, boundTo, limit);
          if (p.problem() == null && p.arguments() > 0) {
            prepared.put(key, p);
          }
        }
      }
    }
    List<StatementEntry> reads = workload.stream()
        .filter(e -> !Sql.isOwn(e.query()) && SqlText.startsAsQuery(e.query()))
        .sorted(Comparator.comparingDouble((StatementEntry e) -> e.counters().totalExecMs()).reversed())
        .limit(workloadStatements).toList();
    int checked = 0;
    List<String> unbound = new ArrayList<>();
    for (StatementEntry e : reads) {
      String key = key(e.queryId(), e.query());
      if (texts.containsKey(key)) {
        continue;
      }
      texts.put(key, e.query());
      checked++;
      Set<String> named = named(e.query(), tablesByName);
      ParameterValues.Bound bound = values.bind(e.query(), named.isEmpty() ? proposalTables : named,
          Math.max(1, e.counters().typicalRows()));
      if (admit(c, guard, key, bound, runnable) != null) {
        unbound.add(key);
      }
    }
    if (!unbound.isEmpty()) {
      notes.add("prove: " + unbound.size() + " of the workload's " + checked + " other read statements checked could not be run"
          + " with values from the statistics (" + String.join(", ", unbound.subList(0, Math.min(5, unbound.size())))
          + (unbound.size() > 5 ? ", …" : "") + "): a change in their plans is not measured");
    }
    return new Statements(runnable, texts, prepared);
  }

  /** Each user table's name to its schema-qualified names (one per schema that has it). */
  static Map<String, List<String>> tablesByName(Connection c) throws SQLException {
    Map<String, List<String>> out = new HashMap<>();
    Sql.list(c, "SELECT relname, schemaname || '.' || relname FROM pg_stat_user_tables",
        rs -> out.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2)));
    return out;
  }

  /** The user tables whose names appear in the statement (any schema that has one). */
  static Set<String> named(String query, Map<String, List<String>> tablesByName) {
    Set<String> named = new LinkedHashSet<>();
    for (SqlLexer.Token t : SqlLexer.lex(query, true).tokens()) {
      if (t.kind() == SqlLexer.Kind.IDENTIFIER) {
        named.addAll(tablesByName.getOrDefault(t.text(), List.of()));
      }
    }
    return named;
  }

  /** Adds the statement's runnable text, or returns why there is none. */
  private static String admit(Connection c, PlanGuard guard, String key, ParameterValues.Bound bound, Map<String, String> runnable)
      throws SQLException {
    if (bound.sql() == null) {
      return bound.problem();
    }
    try {
      runnable.put(key, guard.admit(c, bound.sql(), true));
      return null;
    } catch (StatementRefused refused) {
      return refused.getMessage();
    }
  }
}
