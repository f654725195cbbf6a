package dev.pgopt.collect.internal;

import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The functions a statement must not reach, and the tables, views and types through which it would reach them without
 * naming them (a view's definition, a column default, an index expression, a policy, a partition key, extended
 * statistics, a domain's check, a cast). Read once per database and mode, so checking a statement costs no round trip.
 *
 * <p>Planning folds IMMUTABLE calls with constant arguments and, while estimating selectivity, STABLE ones too; an SQL
 * function can be inlined, exposing its body to the same folding. So for a plan, a user-defined function (not built in,
 * not part of an installed extension) that is IMMUTABLE, STABLE or written in SQL may run, and so may the built-ins that
 * run SQL of their own ({@code table_to_xml} and its family). With ANALYZE the statement runs: then everything is
 * refused but built-in and extension functions that cannot change anything (IMMUTABLE or STABLE, and a few VOLATILE
 * ones that only read a clock or a random source).
 *
 * <p>Expressions stored in the catalog are searched in their node-tree form ({@code :funcid N}), which names every
 * function by oid, built-ins too (pg_depend does not record dependencies on built-ins).
 */
public final class FunctionCatalog {
  /** A function pgopt must not let run, as the user would write it. */
  public record Function(long oid, String schema, String name, boolean userDefined) {
    public String display() {
      return schema + "." + name + "()";
    }
  }

  private static final Set<String> HARMLESS_VOLATILE = Set.of("random", "clock_timestamp", "timeofday",
      "gen_random_uuid", "bernoulli", "system", "current_query");
  private static final Pattern RUNS_SQL = Pattern.compile("(table|query|cursor|schema|database)_to_xml.*|ts_stat|ts_rewrite");

  private final Map<String, List<Function>> byName;
  private final Map<String, List<Function>> byOperator;
  private final Map<String, List<Function>> byRelation;
  private final Map<String, List<Function>> byType;

  private FunctionCatalog(Map<String, List<Function>> byName, Map<String, List<Function>> byOperator,
                          Map<String, List<Function>> byRelation, Map<String, List<Function>> byType) {
    this.byName = byName;
    this.byOperator = byOperator;
    this.byRelation = byRelation;
    this.byType = byType;
  }

  /** Functions called by this name (any schema, any overload). */
  public List<Function> named(String identifier) {
    return byName.getOrDefault(identifier, List.of());
  }

  /** Functions behind a table, view or type of this name: what planning or running a statement over it may call. */
  public List<Function> behind(String identifier) {
    List<Function> a = byRelation.getOrDefault(identifier, List.of());
    List<Function> b = byType.getOrDefault(identifier, List.of());
    if (b.isEmpty()) {
      return a;
    }
    List<Function> both = new ArrayList<>(a);
    both.addAll(b);
    return both;
  }

  /** Functions behind operators whose name occurs in this operator token. */
  public List<Function> operators(String token) {
    List<Function> out = new ArrayList<>();
    byOperator.forEach((name, fns) -> {
      if (token.contains(name)) {
        out.addAll(fns);
      }
    });
    return out;
  }

  /**
   * @param analyze whether the statement will run (EXPLAIN ANALYZE) rather than only be planned
   */
  public static FunctionCatalog load(Connection c, boolean analyze) throws SQLException {
    record Row(long oid, String schema, String name, String volatility, String language, boolean system, boolean extension) {}
    List<Row> all = Sql.list(c, """
        SELECT p.oid::int8, n.nspname, p.proname, p.provolatile::text, l.lanname, p.oid < 16384,
               EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang""",
        rs -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getBoolean(6),
            rs.getBoolean(7)));
    Map<Long, Function> denied = new LinkedHashMap<>();
    for (Row r : all) {
      boolean user = !r.system() && !r.extension();
      boolean foldable = r.volatility().equals("i") || r.volatility().equals("s");
      boolean runsSql = r.system() && RUNS_SQL.matcher(r.name()).matches();
      boolean deny;
      if (analyze) {
        deny = user || runsSql || !foldable && !(r.system() && HARMLESS_VOLATILE.contains(r.name()));
      } else {
        deny = user && (foldable || r.language().equals("sql")) || runsSql && foldable;
      }
      if (deny) {
        denied.put(r.oid(), new Function(r.oid(), r.schema(), r.name(), user));
      }
    }
    Map<String, List<Function>> byName = new LinkedHashMap<>();
    denied.values().forEach(f -> byName.computeIfAbsent(f.name(), k -> new ArrayList<>()).add(f));
    Long[] oids = denied.keySet().toArray(Long[]::new);
    Object array = c.createArrayOf("int8", oids);
    Map<String, List<Function>> byOperator = new LinkedHashMap<>();
    for (String[] op : Sql.list(c, "SELECT oprname, oprcode::oid::int8 FROM pg_operator WHERE oprcode::oid::int8 = ANY (?)",
        rs -> new String[] {rs.getString(1), rs.getString(2)}, array)) {
      add(byOperator, op[0], denied.get(Long.parseLong(op[1])));
    }
    Map<String, List<Function>> byRelation = new LinkedHashMap<>();
    Map<String, List<Function>> byType = new LinkedHashMap<>();
    // the recursive query's estimates are far too high: JIT would compile it for 200 ms to run it in 20
    String jit = Sql.one(c, "SELECT current_setting('jit')", rs -> rs.getString(1));
    Sql.one(c, "SELECT set_config('jit', 'off', true)", rs -> rs.getString(1));
    List<String[]> hits;
    try {
      hits = Sql.list(c, TAINT, rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)}, array, array, array, array);
    } finally {
      Sql.one(c, "SELECT set_config('jit', ?, true)", rs -> rs.getString(1), jit);
    }
    for (String[] hit : hits) {
      add(hit[0].equals("r") ? byRelation : byType, hit[1], denied.get(Long.parseLong(hit[2])));
    }
    return new FunctionCatalog(byName, byOperator, byRelation, byType);
  }

  private static void add(Map<String, List<Function>> map, String key, Function f) {
    if (f == null) {
      return;
    }
    List<Function> list = map.computeIfAbsent(key, k -> new ArrayList<>());
    if (!list.contains(f)) {
      list.add(f);
    }
  }

  /** Distinct functions, in order. */
  public static List<Function> distinct(List<Function> fns) {
    return new ArrayList<>(new LinkedHashSet<>(fns));
  }

  // Expressions stored in the catalog that planning (or running) a statement over a relation evaluates, searched for
  // denied functions; then relations that reach a tainted one (a view or rule reading it, a policy's subquery, an
  // inheritance or partition parent) are tainted too, as are tables with a column of a tainted type.
  private static final String TAINT = """
      WITH RECURSIVE
      trees(rel, typ, tree) AS (
        SELECT r.ev_class, 0::oid, r.ev_action::text FROM pg_rewrite r WHERE r.oid >= 16384
        UNION ALL SELECT adrelid, 0::oid, adbin::text FROM pg_attrdef
        UNION ALL SELECT conrelid, contypid, conbin::text FROM pg_constraint WHERE conbin IS NOT NULL AND oid >= 16384
        UNION ALL SELECT indrelid, 0::oid, concat(indexprs::text, ' ', indpred::text) FROM pg_index
                   WHERE indexprs IS NOT NULL OR indpred IS NOT NULL
        UNION ALL SELECT polrelid, 0::oid, concat(polqual::text, ' ', polwithcheck::text) FROM pg_policy
        UNION ALL SELECT partrelid, 0::oid, partexprs::text FROM pg_partitioned_table WHERE partexprs IS NOT NULL
        UNION ALL SELECT stxrelid, 0::oid, stxexprs::text FROM pg_statistic_ext WHERE stxexprs IS NOT NULL
      ),
      hits(rel, typ, fn) AS (
        SELECT t.rel, t.typ, m[2]::int8
          FROM trees t, regexp_matches(t.tree, ':(funcid|opfuncid|aggfnoid|winfnoid) (\\d+)', 'g') m
         WHERE m[2]::int8 = ANY (?)
        UNION
        SELECT t.rel, t.typ, o.oprcode::oid::int8
          FROM trees t, regexp_matches(t.tree, ':opnos? \\(?o? ?(\\d+)', 'g') m JOIN pg_operator o ON o.oid = m[1]::oid
         WHERE o.oprcode::oid::int8 = ANY (?)
      ),
      bad_types(typ, fn) AS (
        SELECT typ, fn FROM hits WHERE typ <> 0
        UNION SELECT castsource, castfunc::int8 FROM pg_cast WHERE castfunc::int8 = ANY (?)
        UNION SELECT casttarget, castfunc::int8 FROM pg_cast WHERE castfunc::int8 = ANY (?)
      ),
      edges(src, dst) AS (
        SELECT d.refobjid, r.ev_class FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
         WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
        UNION SELECT d.refobjid, p.polrelid FROM pg_depend d JOIN pg_policy p ON p.oid = d.objid
         WHERE d.classid = 'pg_policy'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> p.polrelid
        UNION SELECT inhrelid, inhparent FROM pg_inherits
      ),
      tainted(rel, fn) AS (
        SELECT rel, fn FROM hits WHERE rel <> 0
        UNION SELECT a.attrelid, b.fn FROM bad_types b JOIN pg_attribute a ON a.atttypid = b.typ AND NOT a.attisdropped
        UNION SELECT e.dst, t.fn FROM tainted t JOIN edges e ON e.src = t.rel
      )
      SELECT 'r', c.relname, t.fn::text FROM tainted t JOIN pg_class c ON c.oid = t.rel
      UNION
      SELECT 't', ty.typname, b.fn::text FROM bad_types b JOIN pg_type ty ON ty.oid = b.typ""";
}
