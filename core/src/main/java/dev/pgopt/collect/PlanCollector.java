package dev.pgopt.collect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs EXPLAIN. Parameterized text ({@code $1}, as pg_stat_statements stores it) gets a generic plan: {@code EXPLAIN
 * (GENERIC_PLAN)} on PG 16+, else PREPARE, {@code plan_cache_mode = force_generic_plan} and EXECUTE with NULLs. Call it
 * inside a read-only transaction that is rolled back (Session.readOnly). Nothing is sent that the {@link PlanGuard}
 * refuses.
 */
public final class PlanCollector {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  // One name for every generic plan: pg_stat_statements keys EXPLAIN by its text, so a name per plan would add an entry
  // per what-if plan (thousands per advise run) and evict the workload pgopt reads. Each plan deallocates it again.
  private static final String PREPARED = "pgopt_explain";

  private PlanCollector() {}

  /** A plan with what the catalogs say about the tables it reads. */
  public record Explained(String sql, int parameters, boolean generic, boolean analyzed, JsonNode json, PlanNode root,
                          Map<String, TableFacts> tables) {}

  public static Explained explain(Connection c, PlanGuard guard, String sql, int serverVersionNum, boolean analyze) throws SQLException {
    return explain(c, guard, sql, serverVersionNum, analyze, true);
  }

  private static Explained explain(Connection c, PlanGuard guard, String sql, int serverVersionNum, boolean analyze,
                                   boolean ownSavepoint) throws SQLException {
    int params = SqlText.maxParameter(sql);
    JsonNode tree = planJson(c, guard, sql, serverVersionNum, analyze, ownSavepoint, 0);
    PlanNode root = PlanNode.parse(tree.get(0).get("Plan"));
    return new Explained(sql, params, params > 0, analyze, tree, root, tableFacts(c, root));
  }

  /** A plan, or why the server could not make one. */
  public record Attempt(Explained plan, String error) {
    public boolean planned() {
      return plan != null;
    }
  }

  /**
   * Explains inside a savepoint, so a statement that cannot be planned (pg_stat_statements text whose parameter types
   * cannot be inferred, say) leaves the transaction usable and no prepared statement behind. A statement the guard
   * refuses is not sent at all and comes back unplanned with the refusal. A statement timeout or a broken connection is
   * still thrown.
   */
  public static Attempt attempt(Connection c, PlanGuard guard, String sql, int serverVersionNum, boolean withTableFacts)
      throws SQLException {
    try {
      guard.admit(c, SqlText.forPlanning(sql, 0).sql(), false);
    } catch (StatementRefused refused) {
      return new Attempt(null, "refused: " + refused.getMessage());
    }
    String error = null;
    // First with every parameter's type inferred; if that fails on a type the text leaves open (unknown % unknown,
    // sum(text), generate_series(unknown, unknown)), again with more parameters declared numeric.
    for (int typing = 0; typing <= 2; typing++) {
      // a fixed name: pgjdbc numbers unnamed savepoints, and pg_stat_statements would keep an entry per number
      java.sql.Savepoint sp = c.setSavepoint("pgopt_attempt");
      try {
        JsonNode tree = planJson(c, guard, sql, serverVersionNum, false, false, typing);
        PlanNode root = PlanNode.parse(tree.get(0).get("Plan"));
        int params = SqlText.maxParameter(sql);
        Explained e = new Explained(sql, params, params > 0, false, withTableFacts ? tree : null, root,
            withTableFacts ? tableFacts(c, root) : Map.of());
        c.releaseSavepoint(sp);
        return new Attempt(e, null);
      } catch (SQLException ex) {
        if (ex.getSQLState() != null && ex.getSQLState().startsWith("08")) {
          throw ex;
        }
        c.rollback(sp);
        deallocateLeftovers(c);
        if ("57014".equals(ex.getSQLState())) {
          throw ex;
        }
        String m = ex.getMessage() == null ? ex.toString() : ex.getMessage();
        int nl = m.indexOf('\n');
        error = (nl < 0 ? m : m.substring(0, nl)).replaceFirst("^ERROR: ", "");
        if (!typeAmbiguity(ex.getSQLState()) || SqlText.maxParameter(sql) == 0) {
          break;
        }
      }
    }
    return new Attempt(null, error);
  }

  /** Errors that declaring parameter types may cure: undefined or ambiguous function/operator, indeterminate type. */
  private static boolean typeAmbiguity(String sqlState) {
    return "42883".equals(sqlState) || "42725".equals(sqlState) || "42P18".equals(sqlState) || "42804".equals(sqlState);
  }

  /** Whether EXPLAIN accepts the statement: queries and DML; utility commands (COPY, DDL, VACUUM, SET, ...) are not plans. */
  public static boolean plannable(String query) {
    return PLANNABLE.contains(SqlText.firstWord(query));
  }

  private static final Set<String> PLANNABLE = Set.of("select", "with", "values", "table", "insert", "update", "delete", "merge");

  /** Just the plan tree, for callers that plan the same statement many times (what-if evaluation). */
  public static PlanNode plan(Connection c, PlanGuard guard, String sql, int serverVersionNum) throws SQLException {
    return PlanNode.parse(planJson(c, guard, sql, serverVersionNum, false, true, 0).get(0).get("Plan"));
  }

  /** Prepared statements of ours that a failure left behind (PREPARE outlives a rollback). */
  private static void deallocateLeftovers(Connection c) throws SQLException {
    for (String name : Sql.list(c, "SELECT name FROM pg_prepared_statements WHERE name = ?",
        rs -> rs.getString(1), PREPARED)) {
      try (Statement s = c.createStatement()) {
        s.execute(Sql.OWN_MARK + "DEALLOCATE " + name);
      }
    }
  }

  /**
   * @param ownSavepoint whether a failure must leave the transaction usable by itself; {@link #attempt} has a savepoint
   *     of its own and cleans up after a failure, which spares the what-if search two round trips per plan
   */
  private static JsonNode planJson(Connection c, PlanGuard guard, String rawSql, int serverVersionNum, boolean analyze,
                                   boolean ownSavepoint, int typing) throws SQLException {
    SqlText.Planning planning = SqlText.forPlanning(rawSql, typing);
    // the guard's verdict decides what is sent: exactly one statement, without its trailing semicolon
    String sql = guard.admit(c, planning.sql(), analyze);
    int params = planning.types().length;
    if (analyze && params > 0) {
      throw new IllegalArgumentException("--analyze runs the statement, and this one has placeholders ($1 to $" + params
          + "): give literal values instead");
    }
    String json;
    if (params == 0) {
      json = explainText(c, "EXPLAIN (" + (analyze ? "ANALYZE, BUFFERS, " : "") + "VERBOSE, FORMAT JSON) " + sql);
    } else if (serverVersionNum >= 160000 && !planning.declares()) {
      json = explainText(c, "EXPLAIN (GENERIC_PLAN, VERBOSE, FORMAT JSON) " + sql);
    } else {
      String name = PREPARED;
      // a savepoint of its own: PREPARE outlives a rollback, so a failure must leave the transaction usable enough to
      // DEALLOCATE (a long-lived session, the monitor's, would otherwise collect one statement per failure)
      java.sql.Savepoint sp = ownSavepoint ? c.setSavepoint("pgopt_plan") : null;
      boolean prepared = false;
      try (Statement s = c.createStatement()) {
        StringBuilder types = new StringBuilder();
        for (String t : planning.types()) {
          types.append(types.isEmpty() ? "" : ", ").append(t == null ? "unknown" : t);
        }
        s.execute(Sql.OWN_MARK + "PREPARE " + name + " (" + types + ") AS " + sql);
        prepared = true;
        s.execute(Sql.OWN_MARK + "SET LOCAL plan_cache_mode = force_generic_plan");
        String nulls = String.join(", ", java.util.Collections.nCopies(params, "NULL"));
        json = explainText(c, "EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE " + name + "(" + nulls + ")");
        s.execute(Sql.OWN_MARK + "DEALLOCATE " + name);
        if (sp != null) {
          c.releaseSavepoint(sp);
        }
      } catch (SQLException e) {
        if (sp == null) {
          throw e;
        }
        try {
          c.rollback(sp);
          if (prepared) {
            try (Statement d = c.createStatement()) {
              d.execute(Sql.OWN_MARK + "DEALLOCATE " + name);
            }
          }
        } catch (SQLException cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
    }
    try {
      return MAPPER.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new SQLException("EXPLAIN returned something that is not JSON", e);
    }
  }

  /**
   * Runs an EXPLAIN through a plain statement: a prepared one would take the jsonb operators {@code ?}, {@code ?|} and
   * {@code ?&} for JDBC placeholders and fail.
   */
  private static String explainText(Connection c, String explain) throws SQLException {
    try (Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(Sql.marked(explain))) {
      if (!rs.next()) {
        throw new SQLException("EXPLAIN returned no plan");
      }
      return rs.getString(1);
    }
  }

  /** Size and indexes of every table in the plan, in one round trip. */
  public static Map<String, TableFacts> tableFacts(Connection c, PlanNode root) throws SQLException {
    Set<String> names = new LinkedHashSet<>();
    root.walk(n -> {
      if (n.relation() != null && n.schema() != null) {
        names.add(n.schema() + "." + n.relation());
      }
    });
    Map<String, TableFacts> out = new LinkedHashMap<>();
    if (names.isEmpty()) {
      return out;
    }
    record Row(String schema, String table, double rows, long pages, String index, String method, String columns,
               String opclasses, String definition) {}
    List<Row> rows = Sql.list(c, """
        SELECT n.nspname, t.relname, greatest(t.reltuples, 0)::float8, t.relpages::int8, i.relname, am.amname,
               (SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), E'\\x1f' ORDER BY k)
                  FROM generate_series(1, x.indnkeyatts) k),
               (SELECT string_agg(oc.opcname, E'\\x1f' ORDER BY k.ord)
                  FROM unnest(x.indclass::oid[]) WITH ORDINALITY k(oid, ord) JOIN pg_opclass oc ON oc.oid = k.oid
                 WHERE k.ord <= x.indnkeyatts),
               pg_get_indexdef(x.indexrelid)
          FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
          LEFT JOIN pg_index x ON x.indrelid = t.oid AND x.indisvalid
          LEFT JOIN pg_class i ON i.oid = x.indexrelid
          LEFT JOIN pg_am am ON am.oid = i.relam
         WHERE (n.nspname || '.' || t.relname) = ANY (?)
         ORDER BY 1, 2, 5""",
        rs -> new Row(rs.getString(1), rs.getString(2), rs.getDouble(3), rs.getLong(4), rs.getString(5), rs.getString(6),
            rs.getString(7), rs.getString(8), rs.getString(9)),
        c.createArrayOf("text", names.toArray()));
    Map<String, List<TableFacts.Index>> indexes = new LinkedHashMap<>();
    Map<String, Row> tables = new LinkedHashMap<>();
    for (Row r : rows) {
      String key = TableFacts.key(r.schema(), r.table());
      tables.putIfAbsent(key, r);
      List<TableFacts.Index> list = indexes.computeIfAbsent(key, k -> new ArrayList<>());
      if (r.index() != null) {
        list.add(new TableFacts.Index(r.index(), r.method(), split(r.columns()), split(r.opclasses()), r.definition()));
      }
    }
    tables.forEach((k, r) -> out.put(k, new TableFacts(r.schema(), r.table(), r.rows(), r.pages(), indexes.get(k))));
    return out;
  }

  private static List<String> split(String s) {
    return s == null ? List.of() : Arrays.asList(s.split("\u001f"));
  }
}
