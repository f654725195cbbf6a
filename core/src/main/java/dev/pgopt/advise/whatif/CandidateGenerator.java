package dev.pgopt.advise.whatif;

import dev.pgopt.collect.PlanNode;
import dev.pgopt.collect.TableFacts;
import dev.pgopt.connect.Quoting;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Index candidates from a statement's plan: for each scan of a large table, the columns its conditions compare with
 * equality and with ranges, and the ORDER BY a Sort above it needs. Single columns, equality columns together,
 * equality then the first range column, equality then the sort columns; and when the conditions include
 * {@code col IS [NOT] NULL} (soft deletes) or test a boolean column ({@code NOT archived}, {@code pending}), conditions
 * pg_stat_statements keeps as written, so every call has them, or compare a column with a constant the plan shows (a
 * view's, or one pg_qualstats saw the statement run with, bound in); the equality-led candidates again as partial indexes
 * with that predicate; the most complete equality-led one (else the first range column) also with INCLUDE columns for an
 * index-only scan; BRIN on range-filtered
 * columns of big tables. Candidates an existing index already covers by prefix are left out.
 */
public final class CandidateGenerator {
  /** Tables smaller than this are read whole cheaply: no index is worth its upkeep. */
  public static final double MIN_TABLE_ROWS = 10_000;
  /** BRIN candidates only for tables of at least ten ranges of 128 pages (its default pages_per_range). */
  static final long BRIN_MIN_PAGES = 1_280;
  /** INCLUDE variants carry at most this many columns. */
  static final int MAX_INCLUDE = 3;
  private static final String IDENT = "(\"(?:[^\"]|\"\")+\"|[\\p{L}_][\\p{L}\\p{N}_$]*)";
  private static final Pattern SORT_KEY = Pattern.compile("^" + IDENT + "\\." + IDENT + "( DESC)?( NULLS (?:FIRST|LAST))?$");

  private CandidateGenerator() {}

  public static List<IndexCandidate> from(PlanNode root, Map<String, TableFacts> tables) {
    Map<String, IndexCandidate> out = new LinkedHashMap<>();
    walk(root, List.of(), "", tables, out);
    return new ArrayList<>(out.values());
  }

  /** A tsvector column a large table is scanned whole to match with {@code @@}, and no GIN or GiST index covers. */
  public record FullTextColumn(String schema, String table, String column) {
    public String key() {
      return schema + "." + table + "(" + column + ")";
    }
  }

  /**
   * Full-text matches that read a large table whole. HypoPG cannot simulate GIN indexes, so these are found from the
   * plan alone.
   */
  public static List<FullTextColumn> fullText(PlanNode root, Map<String, TableFacts> tables) {
    Map<String, PlanNode> seqScans = new LinkedHashMap<>();
    List<String> conditions = new ArrayList<>();
    root.walk(n -> {
      if (n.nodeType().equals("Seq Scan") && n.relation() != null) {
        seqScans.put(n.alias() != null ? n.alias() : n.relation(), n);
      }
      if (n.filter() != null) {
        conditions.add(n.filter());
      }
      if (n.joinFilter() != null) {
        conditions.add(n.joinFilter());
      }
    });
    List<FullTextColumn> out = new ArrayList<>();
    Pattern match = Pattern.compile(IDENT + "\\." + IDENT + "\\s*@@");
    for (String condition : conditions) {
      Matcher m = match.matcher(condition);
      while (m.find()) {
        PlanNode scan = seqScans.get(unquote(m.group(1)));
        TableFacts t = scan == null ? null : tables.get(TableFacts.key(scan.schema(), scan.relation()));
        if (t == null || t.rows() < MIN_TABLE_ROWS) {
          continue;
        }
        addUnlessGinIndexed(t, unquote(m.group(2)), out);
      }
    }
    return out;
  }

  /**
   * Text columns a large table is scanned whole to match with ILIKE or a LIKE pattern that starts with a wildcard (or
   * a pattern only known at run time): a B-tree cannot serve those, a trigram GIN index (pg_trgm) can. HypoPG cannot
   * simulate GIN indexes, so these come from the plan alone.
   */
  public static List<FullTextColumn> patternMatches(PlanNode root, Map<String, TableFacts> tables) {
    List<FullTextColumn> out = new ArrayList<>();
    Pattern match = Pattern.compile(IDENT + "\\." + IDENT + "\\s*(~~\\*|~~ '%|~~ \\$\\d)");
    filtersOfLargeTableScans(root, tables, (t, filter) -> {
      Matcher m = match.matcher(filter);
      while (m.find()) {
        addUnlessGinIndexed(t, unquote(m.group(2)), out);
      }
    });
    return out;
  }

  /**
   * Columns a large table is scanned whole to match with containment ({@code @>}, {@code <@}, {@code &&}) or jsonb key
   * tests ({@code ?}, {@code ?|}, {@code ?&}): a GIN index serves them, a B-tree cannot. The value says whether key
   * tests were among them. The caller decides from the column's type (jsonb or an array) which operator class.
   */
  public static Map<FullTextColumn, Boolean> containment(PlanNode root, Map<String, TableFacts> tables) {
    Map<FullTextColumn, Boolean> out = new LinkedHashMap<>();
    Pattern match = Pattern.compile(IDENT + "\\." + IDENT + "\\s*(@>|<@|&&|\\?\\||\\?&|\\?)(?![>|&?=<@-])");
    filtersOfLargeTableScans(root, tables, (t, filter) -> {
      Matcher m = match.matcher(filter);
      while (m.find()) {
        List<FullTextColumn> one = new ArrayList<>();
        addUnlessGinIndexed(t, unquote(m.group(2)), one);
        for (FullTextColumn f : one) {
          out.merge(f, m.group(3).startsWith("?"), Boolean::logicalOr);
        }
      }
    });
    return out;
  }

  /** The filter of every whole-table scan of a table of at least {@link #MIN_TABLE_ROWS}, with the table's facts. */
  private static void filtersOfLargeTableScans(PlanNode root, Map<String, TableFacts> tables,
      java.util.function.BiConsumer<TableFacts, String> each) {
    root.walk(n -> {
      if (!n.nodeType().equals("Seq Scan") || n.filter() == null || n.relation() == null) {
        return;
      }
      TableFacts t = tables.get(TableFacts.key(n.schema(), n.relation()));
      if (t != null && t.rows() >= MIN_TABLE_ROWS) {
        each.accept(t, n.filter());
      }
    });
  }

  /** Adds {@code col} unless a GIN or GiST index already leads with it (or it is listed). */
  private static void addUnlessGinIndexed(TableFacts t, String col, List<FullTextColumn> out) {
    boolean indexed = t.indexes().stream().anyMatch(ix -> (ix.method().equals("gin") || ix.method().equals("gist"))
        && !ix.columns().isEmpty() && unquote(ix.columns().get(0)).equals(col));
    FullTextColumn f = new FullTextColumn(t.schema(), t.table(), col);
    if (!indexed && !out.contains(f)) {
      out.add(f);
    }
  }

  /** Whether an existing B-tree already leads with all of the candidate's columns. */
  private static boolean coveredByBtree(TableFacts t, IndexCandidate c) {
    return t.indexes().stream().anyMatch(ix -> ix.method().equals("btree")
        && c.coveredBy(ix.columns().stream().map(CandidateGenerator::unquote).toList()));
  }

  /** @param above what the nodes above read (their outputs, conditions and keys), as text */
  private static void walk(PlanNode n, List<String> sortAbove, String above, Map<String, TableFacts> tables,
                           Map<String, IndexCandidate> out) {
    if (n.relation() != null && (n.filter() != null || n.indexCondition() != null || !sortAbove.isEmpty())) {
      scan(n, sortAbove, above, tables, out);
    }
    String reads = above + " " + String.join(" ", n.output()) + " " + String.join(" ", n.sortKey()) + " "
        + (n.filter() == null ? "" : n.filter()) + " " + (n.joinCondition() == null ? "" : n.joinCondition()) + " "
        + (n.joinFilter() == null ? "" : n.joinFilter());
    String join = n.joinCondition() != null ? n.joinCondition() : n.nodeType().equals("Nested Loop") ? n.joinFilter() : null;
    if (join != null) {
      joinColumns(n, join, tables, out);
    }
    for (PlanNode c : n.children()) {
      List<String> pass = n.nodeType().equals("Sort") ? n.sortKey()
          : n.nodeType().equals("Gather") || n.nodeType().equals("Gather Merge") || n.nodeType().equals("Result")
              || n.nodeType().equals("Limit") ? sortAbove : List.of();
      walk(c, n.children().size() == 1 ? pass : List.of(), reads, tables, out);
    }
  }

  private static void scan(PlanNode n, List<String> sortAbove, String above, Map<String, TableFacts> tables,
                           Map<String, IndexCandidate> out) {
    TableFacts t = tables.get(TableFacts.key(n.schema(), n.relation()));
    if (t == null || t.rows() < MIN_TABLE_ROWS) {
      return;
    }
    String alias = n.alias() != null ? n.alias() : n.relation();
    String conditions = (n.filter() == null ? "" : n.filter()) + " " + (n.indexCondition() == null ? "" : n.indexCondition());
    Set<String> eq = new LinkedHashSet<>();
    Set<String> range = new LinkedHashSet<>();
    // conditions the statement text keeps as written (pg_stat_statements replaces constants, not these): a partial
    // index with them as its predicate serves every call; column → condition
    Map<String, String> kept = new LinkedHashMap<>();
    Matcher nulls = Pattern.compile("(?<![\\p{L}\\p{N}_\"])" + aliasPattern(alias) + "\\." + IDENT + "\\s+IS\\s+(NOT\\s+)?NULL")
        .matcher(conditions);
    while (nulls.find()) {
      String col = unquote(nulls.group(1));
      kept.putIfAbsent(col, Quoting.ident(col) + (nulls.group(2) == null ? " IS NULL" : " IS NOT NULL"));
    }
    // a boolean column tested alone, as a whole conjunct: "NOT t.archived", "t.pending AND ..."; not a column in the
    // parentheses of a cast, "(t.p_type)::text !~~ ..." (TPC-H Q16 made a partial index "WHERE p_type" of that)
    Matcher flags = Pattern.compile("(?:^|\\(|\\bAND\\s)\\s*(NOT\\s+)?" + aliasPattern(alias) + "\\." + IDENT
        + "(?=\\s*(?:\\)(?!::)|$|\\sAND\\b))").matcher((n.filter() == null ? "" : "(" + n.filter() + ")") + " AND "
        + (n.indexCondition() == null ? "" : "(" + n.indexCondition() + ")"));
    while (flags.find()) {
      String col = unquote(flags.group(2));
      kept.putIfAbsent(col, (flags.group(1) == null ? "" : "NOT ") + Quoting.ident(col));
    }
    // a column compared with a constant the plan shows: a view's condition, or a constant pg_qualstats saw the statement
    // run with, bound into its plan (status = 'pending'::text); the literal as PostgreSQL printed it, whole
    Matcher constants = Pattern.compile("(?<![\\p{L}\\p{N}_\"])" + aliasPattern(alias) + "\\." + IDENT
        + "\\)?(?:::[a-z ]+)?\\s*=\\s*('(?:[^']|'')*'(?:::[a-z ]+(?:\\[\\])?)?|-?[0-9]+(?:\\.[0-9]+)?)(?=\\))").matcher(conditions);
    while (constants.find()) {
      String col = unquote(constants.group(1));
      kept.putIfAbsent(col, Quoting.ident(col) + " = " + constants.group(2));
    }
    Matcher m = Pattern.compile("(?<![\\p{L}\\p{N}_\"])" + aliasPattern(alias) + "\\." + IDENT
        + "\\)?(?:::[a-z ]+(?:\\[\\])?)?\\s*(=|<=|>=|<>|<|>|~~|IS NULL)").matcher(conditions);
    while (m.find()) {
      String col = unquote(m.group(1));
      switch (m.group(2)) {
        case "=" -> eq.add(col);
        case "<", ">", "<=", ">=" -> range.add(col);
        default -> { }
      }
    }
    range.removeAll(eq);
    List<String> sortCols = new ArrayList<>();
    List<Boolean> sortDesc = new ArrayList<>();
    for (String key : sortAbove) {
      Matcher k = SORT_KEY.matcher(key);
      if (!k.matches() || !unquote(k.group(1)).equals(alias)) {
        sortCols.clear();
        break;
      }
      sortCols.add(unquote(k.group(2)));
      sortDesc.add(k.group(3) != null);
    }
    List<String> eqList = new ArrayList<>(eq).subList(0, Math.min(3, eq.size()));
    List<List<String>> columnSets = new ArrayList<>();
    List<List<Boolean>> descSets = new ArrayList<>();
    for (String c : eq) {
      add(columnSets, descSets, List.of(c), List.of(false));
    }
    for (String c : range) {
      add(columnSets, descSets, List.of(c), List.of(false));
    }
    if (eqList.size() > 1) {
      add(columnSets, descSets, eqList, falses(eqList.size()));
    }
    if (!eqList.isEmpty() && !range.isEmpty()) {
      List<String> cols = new ArrayList<>(eqList);
      cols.add(range.iterator().next());
      add(columnSets, descSets, cols, falses(cols.size()));
    }
    if (!sortCols.isEmpty()) {
      List<String> cols = new ArrayList<>(eqList);
      List<Boolean> desc = falses(eqList.size());
      for (int i = 0; i < sortCols.size(); i++) {
        if (!cols.contains(sortCols.get(i))) {
          cols.add(sortCols.get(i));
          desc.add(sortDesc.get(i));
        }
      }
      add(columnSets, descSets, cols, desc);
    }
    // the most complete equality-led key, again with the other columns the scan returns or tests carried in its leaves:
    // an index-only scan then never reads the table (for a few narrow columns; the what-if plans weigh the extra bytes)
    // without an equality, the first range column: a range reads many rows, each one a heap visit without it (TPC-H Q6,
    // Q14, Q15 on l_shipdate)
    int keys = columnSets.size();
    int covering = -1;
    for (int i = keys - 1; i >= 0 && covering < 0; i--) {
      if (!columnSets.get(i).isEmpty() && eq.contains(columnSets.get(i).get(0))) {
        covering = i;
      }
    }
    if (covering < 0 && !range.isEmpty()) {
      covering = columnSets.indexOf(List.of(range.iterator().next()));
    }
    if (covering >= 0) {
      List<String> key = columnSets.get(covering);
      List<String> needed = referenced(n, alias, conditions, above, key.size());
      needed.removeAll(key);
      if (!needed.isEmpty() && needed.size() <= MAX_INCLUDE) {
        IndexCandidate c = new IndexCandidate(t.schema(), t.table(), key, descSets.get(covering)).including(needed);
        if (!coveredByBtree(t, c)) {
          out.putIfAbsent(c.key(), c);
        }
      }
    }
    // BRIN for range filters on big tables: tiny, and as good as a B-tree where the column follows the physical row
    // order (the planner's BRIN costing reads pg_stats.correlation, so the what-if plans tell)
    if (t.pages() >= BRIN_MIN_PAGES) {
      for (String c : range) {
        IndexCandidate b = IndexCandidate.brin(t.schema(), t.table(), c);
        boolean indexed = t.indexes().stream().anyMatch(ix -> !ix.columns().isEmpty() && unquote(ix.columns().get(0)).equals(c)
            && (ix.method().equals("brin") || ix.method().equals("btree")));
        if (!indexed) {
          out.putIfAbsent(b.key(), b);
        }
      }
    }
    String predicate = kept.isEmpty() ? null : String.join(" AND ", kept.values());
    int full = columnSets.size();
    if (predicate != null) {
      for (int i = 0; i < full; i++) {
        List<String> cols = columnSets.get(i);
        if (!cols.isEmpty() && eq.contains(cols.get(0)) && !kept.containsKey(cols.get(0))) {
          columnSets.add(cols);
          descSets.add(descSets.get(i));
        }
      }
    }
    for (int i = 0; i < columnSets.size(); i++) {
      IndexCandidate c = new IndexCandidate(t.schema(), t.table(), columnSets.get(i), descSets.get(i), i < full ? null : predicate);
      if (!coveredByBtree(t, c)) {
        out.putIfAbsent(c.key(), c);
      }
    }
  }

  /**
   * The columns of {@code alias} the scan returns or its conditions test, in order, when all are plain columns. A
   * sequential scan often returns every column (the planner's cheaper "physical" target list); then only those the
   * nodes above read count.
   */
  private static List<String> referenced(PlanNode n, String alias, String conditions, String above, int keyColumns) {
    Set<String> out = new LinkedHashSet<>();
    // EXPLAIN qualifies output columns only when the statement reads more than one relation
    Pattern column = Pattern.compile("^(?:" + aliasPattern(alias) + "\\.)?" + IDENT + "$");
    for (String o : n.output()) {
      Matcher m = column.matcher(o);
      if (!m.matches()) {
        return new ArrayList<>(); // an expression or a whole-row reference: no index-only scan to be had
      }
      out.add(unquote(m.group(1)));
    }
    if (out.size() > keyColumns + MAX_INCLUDE) {
      out.removeIf(c -> !Pattern.compile("(?<![\\p{L}\\p{N}_\"])(?:" + aliasPattern(alias) + "\\.)?" + Pattern.quote(Quoting.ident(c))
          + "(?![\\p{L}\\p{N}_\"])").matcher(above).find());
    }
    Matcher m = Pattern.compile("(?<![\\p{L}\\p{N}_\"])" + aliasPattern(alias) + "\\." + IDENT).matcher(conditions);
    while (m.find()) {
      out.add(unquote(m.group(1)));
    }
    return new ArrayList<>(out);
  }

  private static final Pattern JOIN_PAIR = Pattern.compile(IDENT + "\\." + IDENT + "\\)?(?:::[a-z ]+)?\\s*=\\s*\\(?"
      + IDENT + "\\." + IDENT);

  /**
   * Join columns: an index on either side of an equality join lets the planner run it as a nested loop whose inner side
   * is an index scan per outer row (the what-if plans decide whether that is cheaper). Only for large tables, and only
   * where no btree already leads with the column.
   */
  private static void joinColumns(PlanNode join, String condition, Map<String, TableFacts> tables, Map<String, IndexCandidate> out) {
    Map<String, PlanNode> scans = new LinkedHashMap<>();
    join.walk(x -> {
      if (x.relation() != null) {
        scans.putIfAbsent(x.alias() != null ? x.alias() : x.relation(), x);
      }
    });
    Matcher m = JOIN_PAIR.matcher(condition);
    while (m.find()) {
      for (int side = 0; side < 2; side++) {
        PlanNode scan = scans.get(unquote(m.group(1 + 2 * side)));
        TableFacts t = scan == null ? null : tables.get(TableFacts.key(scan.schema(), scan.relation()));
        if (t == null || t.rows() < MIN_TABLE_ROWS) {
          continue;
        }
        IndexCandidate c = new IndexCandidate(t.schema(), t.table(), List.of(unquote(m.group(2 + 2 * side))), List.of(false));
        if (!coveredByBtree(t, c)) {
          out.putIfAbsent(c.key(), c);
        }
      }
    }
  }

  private static void add(List<List<String>> cols, List<List<Boolean>> desc, List<String> c, List<Boolean> d) {
    cols.add(List.copyOf(c));
    desc.add(List.copyOf(d));
  }

  private static List<Boolean> falses(int n) {
    List<Boolean> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(false);
    }
    return l;
  }

  private static String aliasPattern(String alias) {
    return "(?:" + Pattern.quote(alias) + "|" + Pattern.quote("\"" + alias.replace("\"", "\"\"") + "\"") + ")";
  }

  static String unquote(String ident) {
    if (ident.startsWith("\"") && ident.endsWith("\"") && ident.length() >= 2) {
      return ident.substring(1, ident.length() - 1).replace("\"\"", "\"");
    }
    return ident;
  }
}
