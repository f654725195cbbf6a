package dev.pgopt.advise.whatif;

import dev.pgopt.collect.PlanCollector;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.PlanNode;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Plan costs with hypothetical indexes (HypoPG), per statement and index set, cached. Only the indexes on tables a
 * statement reads are created for it, so the cache hits whenever other tables' indexes change. Each evaluation is one
 * what-if plan, counted. Runs inside a read-only transaction: HypoPG writes no catalog.
 */
public final class WhatIfPlanner {
  /**
   * A statement to plan: its text, the tables it reads, and how often and how long it runs.
   *
   * @param rowsPerCall rows a call returns on average (pg_stat_statements), the typical LIMIT; 0 when unknown
   * @param values the variants with representative parameter values it is costed with besides the generic plan
   */
  public record Workload(long queryId, String sql, double callsPerHour, double meanMs, Set<String> tables,
                         long rowsPerCall, ValueSamples.Plan values) {
    /** The same statement costed with {@code values}. */
    public Workload withValues(ValueSamples.Plan values) {
      return new Workload(queryId, sql, callsPerHour, meanMs, tables, rowsPerCall, values);
    }

    /** The text the what-if plans cost: with the typical LIMIT where the statement has a {@code LIMIT $n}. */
    String planned(String text) {
      return rowsPerCall > 0 ? dev.pgopt.collect.SqlText.withTypicalLimit(text, rowsPerCall) : text;
    }
  }

  /** Cost of a statement's plan and the candidate keys the plan uses. */
  public record Result(double cost, Set<String> usedCandidates) {}

  private final Connection connection;
  private final BtreeSize btreeSizes;
  private final PlanGuard guard;
  private final int serverVersionNum;
  private final Map<String, Result> cache = new HashMap<>();
  private final Map<String, Long> sizes = new HashMap<>();
  private int calls;
  private int sampleCalls;

  public WhatIfPlanner(Connection connection, PlanGuard guard, int serverVersionNum) {
    this.connection = connection;
    this.btreeSizes = new BtreeSize(connection);
    this.guard = guard;
    this.serverVersionNum = serverVersionNum;
  }

  public static boolean available(Connection c) throws SQLException {
    return Sql.one(c, "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'hypopg')", rs -> rs.getBoolean(1));
  }

  /** How many what-if plans were made. */
  public int calls() {
    return calls;
  }

  /** How many of them costed representative values rather than the generic plan. */
  public int sampleCalls() {
    return sampleCalls;
  }

  public Result cost(Workload w, List<IndexCandidate> indexes) throws SQLException {
    List<IndexCandidate> relevant = indexes.stream().filter(i -> w.tables().contains(i.schema() + "." + i.table()))
        .sorted(Comparator.comparing(IndexCandidate::key)).toList();
    String key = w.queryId() + (w.values().samples().isEmpty() ? "|" : "|values|") + relevant.stream().map(IndexCandidate::key).collect(Collectors.joining(";"));
    Result cached = cache.get(key);
    if (cached != null) {
      return cached;
    }
    Map<Long, String> byOid = create(relevant);
    Set<String> used = new HashSet<>();
    // a statement that always runs with the constants it is costed with has no generic share: its generic plan, and the
    // indexes that plan would pick, must not count
    double generic = w.values().genericWeight();
    double cost = generic > 1e-9 ? generic * plan(w, w.sql(), byOid, used) : 0;
    for (ValueSamples.Sample sample : w.values().samples()) {
      cost += sample.weight() * plan(w, sample.sql(), byOid, used);
      sampleCalls++;
    }
    Result r = new Result(cost, used);
    cache.put(key, r);
    return r;
  }

  private double plan(Workload w, String text, Map<Long, String> byOid, Set<String> used) throws SQLException {
    PlanCollector.Attempt attempt = PlanCollector.attempt(connection, guard, w.planned(text), serverVersionNum, false);
    if (!attempt.planned()) {
      throw new SQLException(attempt.error());
    }
    calls++;
    PlanNode root = attempt.plan().root();
    root.walk(n -> used(n, byOid, used));
    return root.totalCost();
  }

  /**
   * The estimated size of the index once built: {@link BtreeSize} from the table's statistics (it models deduplication;
   * HypoPG's estimate does not, and overestimates low-cardinality columns about 3x), else HypoPG's.
   */
  public long size(IndexCandidate c) throws SQLException {
    Long known = sizes.get(c.key());
    if (known != null) {
      return known;
    }
    long estimated = btreeSizes.estimate(c);
    if (estimated > 0) {
      sizes.put(c.key(), estimated);
      return estimated;
    }
    Map<Long, String> byOid = create(List.of(c));
    long size = Sql.one(connection, "SELECT hypopg_relation_size(?::oid)", rs -> rs.getLong(1), byOid.keySet().iterator().next());
    sizes.put(c.key(), size);
    return size;
  }

  private Map<Long, String> create(List<IndexCandidate> indexes) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute(Sql.OWN_MARK + "SELECT hypopg_reset()");
    }
    Map<Long, String> byOid = new HashMap<>();
    for (IndexCandidate i : indexes) {
      long oid = Sql.one(connection, "SELECT indexrelid::int8 FROM hypopg_create_index(?)", rs -> rs.getLong(1), i.definition(false).create(false));
      byOid.put(oid, i.key());
    }
    return byOid;
  }

  private static void used(PlanNode n, Map<Long, String> byOid, Set<String> used) {
    if (n.indexName() == null || !n.indexName().startsWith("<")) {
      return;
    }
    int close = n.indexName().indexOf('>');
    if (close > 1) {
      String key = byOid.get(Long.parseLong(n.indexName().substring(1, close)));
      if (key != null) {
        used.add(key);
      }
    }
  }

  /**
   * Whether HypoPG accepts the candidate: one it rejects (a predicate the server does not take, say) is left out
   * rather than aborting the advice; the attempt runs in a savepoint, so the transaction stays usable.
   */
  public boolean admissible(IndexCandidate c) throws SQLException {
    java.sql.Savepoint sp = connection.setSavepoint("pgopt_candidate");
    try {
      Sql.one(connection, "SELECT indexrelid::int8 FROM hypopg_create_index(?)", rs -> rs.getLong(1), c.definition(false).create(false));
      return true;
    } catch (SQLException e) {
      connection.rollback(sp);
      return false;
    } finally {
      connection.releaseSavepoint(sp);
      reset();
    }
  }

  /** Leaves no hypothetical index behind in the session. */
  public void reset() throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute(Sql.OWN_MARK + "SELECT hypopg_reset()");
    }
  }
}
