package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.IndexDefinition;
import dev.pgopt.advise.Rule;
import dev.pgopt.advise.whatif.CandidateGenerator;
import dev.pgopt.advise.whatif.IndexBudget;
import dev.pgopt.advise.whatif.IndexCandidate;
import dev.pgopt.advise.whatif.ObservedConstants;
import dev.pgopt.advise.whatif.ValueSamples;
import dev.pgopt.advise.whatif.WhatIfPlanner;
import dev.pgopt.advise.whatif.WhatIfPlanner.Workload;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.analyze.plan.PlanInsights;
import dev.pgopt.collect.PlanCollector;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code index.missing}: indexes chosen for the whole workload, not one statement at a time. Candidates come from
 * the plans of the costliest statements; HypoPG gives each statement's plan cost with and without them; a greedy
 * selection with a final pruning pass picks, under a storage budget, the indexes whose time saved (calls per hour ×
 * mean time × cost reduction) beats their write overhead. Without HypoPG, candidates for tables scanned whole with a
 * selective filter (the planner's estimate from pg_stats) are proposed with confidence {@code heuristic}.
 */
public final class IndexMissingRule implements Rule {
  /** One index replaces several on a table when it saves at least this share of what they save together. */
  private static final double CONSOLIDATE = 0.98;
  /**
   * ... and is at most this much larger than they are together: fewer indexes for the same job, not more bytes (a small
   * partial index beside a plain one stays, rather than one wide index for both).
   */
  private static final double CONSOLIDATE_SIZE = 1.25;
  /** A candidate must cut some statement's plan cost by at least this share, in a plan that uses it. */
  static final double MIN_IMPROVEMENT = 0.10;
  /** Heuristic write model: extra time per written row for each index the table gains. */
  static final double WRITE_MS_PER_ROW_PER_INDEX = 0.01;
  static final int MAX_CANDIDATES = 1000;
  /** A BRIN index is written once per range summary, not once per row: a fraction of a B-tree's upkeep. */
  static final double BRIN_WRITE_SHARE = 0.1;

  private final int maxStatements;
  private final IndexBudget budget;
  /** Candidate keys ({@link IndexCandidate#key()}) never to propose: ones a measurement showed to make a statement slower. */
  private final Set<String> excluded;

  public IndexMissingRule(int maxStatements, IndexBudget budget) {
    this(maxStatements, budget, Set.of());
  }

  private IndexMissingRule(int maxStatements, IndexBudget budget, Set<String> excluded) {
    this.maxStatements = maxStatements;
    this.budget = budget;
    this.excluded = Set.copyOf(excluded);
  }

  /**
   * This rule, never proposing the indexes of {@code findingIds} (ids of its own findings): {@code advise --prove}
   * asks again without the ones it measured slower, so another candidate can take their place.
   */
  public IndexMissingRule excluding(Set<String> findingIds) {
    Set<String> keys = new LinkedHashSet<>(excluded);
    for (String id : findingIds) {
      if (id.startsWith(id() + ":")) {
        keys.add(id.substring(id().length() + 1));
      }
    }
    return new IndexMissingRule(maxStatements, budget, keys);
  }

  @Override
  public String id() {
    return "index.missing";
  }

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    if (ctx.workload().isEmpty()) {
      return List.of();
    }
    StatementSnapshot snap = ctx.workload().get();
    double hours = observedHours(ctx, snap);
    List<StatementEntry> top = snap.entries().stream()
        .filter(e -> PlanCollector.plannable(e.query()) && e.counters().calls() > 0)
        .sorted(Comparator.comparingDouble((StatementEntry e) -> e.counters().totalExecMs()).reversed())
        .limit(maxStatements).toList();
    List<Workload> workload = new ArrayList<>();
    Map<String, IndexCandidate> candidates = new LinkedHashMap<>();
    // tables some statement scans whole to keep at most 5 % of the rows (the planner's estimate, from pg_stats)
    Set<String> selectiveScans = new LinkedHashSet<>();
    Map<String, CandidateGenerator.FullTextColumn> fullText = new LinkedHashMap<>();
    Map<String, List<Workload>> fullTextStatements = new LinkedHashMap<>();
    Map<String, CandidateGenerator.FullTextColumn> patterns = new LinkedHashMap<>();
    Map<String, List<Workload>> patternStatements = new LinkedHashMap<>();
    // jsonb / array columns matched with @> (true: also with a key-exists test, which jsonb_path_ops does not serve)
    Map<CandidateGenerator.FullTextColumn, Boolean> containment = new LinkedHashMap<>();
    Map<String, List<Workload>> containmentStatements = new LinkedHashMap<>();
    WorkloadCoverage coverage = new WorkloadCoverage(snap.entries());
    ObservedConstants constants = ObservedConstants.read(ctx.connection());
    ValueSamples values = new ValueSamples(ctx.connection());
    int bound = 0;
    for (StatementEntry e : top) {
      PlanCollector.Attempt attempt = PlanCollector.attempt(ctx.connection(), ctx.guard(), e.query(), ctx.serverVersionNum(), true);
      if (!attempt.planned()) {
        coverage.notPlanned(e, attempt.error());
        continue;
      }
      coverage.planned(e);
      PlanCollector.Explained plan = attempt.plan();
      Set<String> tables = new LinkedHashSet<>();
      plan.root().walk(n -> {
        if (n.relation() != null) {
          tables.add(n.schema() + "." + n.relation());
        }
      });
      Workload w = new Workload(e.queryId(), e.query(), e.counters().calls() / hours, e.counters().meanExecMs(), tables,
          e.counters().typicalRows(), values.of(e.query(), tables, constants.of(e.queryId())));
      workload.add(w);
      if (w.values().observed()) {
        // planned with the constants it runs with, its conditions name them: partial index candidates on them
        PlanCollector.Attempt withConstants = PlanCollector.attempt(ctx.connection(), ctx.guard(),
            w.values().samples().get(0).sql(), ctx.serverVersionNum(), true);
        if (withConstants.planned()) {
          bound++;
          PlanCollector.Explained p = withConstants.plan();
          CandidateGenerator.from(p.root(), p.tables()).forEach(c -> candidates.putIfAbsent(c.key(), c));
        }
      }
      for (CandidateGenerator.FullTextColumn f : CandidateGenerator.patternMatches(plan.root(), plan.tables())) {
        patterns.putIfAbsent(f.key(), f);
        patternStatements.computeIfAbsent(f.key(), k -> new ArrayList<>()).add(w);
      }
      for (Map.Entry<CandidateGenerator.FullTextColumn, Boolean> c : CandidateGenerator.containment(plan.root(), plan.tables()).entrySet()) {
        containment.merge(c.getKey(), c.getValue(), Boolean::logicalOr);
        containmentStatements.computeIfAbsent(c.getKey().key(), k -> new ArrayList<>()).add(w);
      }
      for (CandidateGenerator.FullTextColumn f : CandidateGenerator.fullText(plan.root(), plan.tables())) {
        fullText.putIfAbsent(f.key(), f);
        fullTextStatements.computeIfAbsent(f.key(), k -> new ArrayList<>()).add(w);
      }
      CandidateGenerator.from(plan.root(), plan.tables()).forEach(c -> candidates.putIfAbsent(c.key(), c));
      PlanInsights.of(plan.root(), plan.tables()).stream().filter(i -> i.rule().equals("seq_scan_selective_filter"))
          .forEach(i -> selectiveScans.add((String) i.numbers().get("table")));
    }
    ctx.notes().add(coverage.describe());
    if (constants.unavailable() != null) {
      ctx.notes().add("index.missing: " + constants.unavailable());
    } else if (bound > 0) {
      ctx.notes().add("index.missing: " + bound + " statements planned and costed also with the constants pg_qualstats saw"
          + " them compare columns with, so partial indexes on those constants are candidates");
    }
    WindowWrites.Rates writes = WindowWrites.of(ctx.connection(), snap, hours);
    ctx.notes().add(writes.note());
    Map<String, Double> writesPerHour = writes.perHour();
    List<Finding> out = new ArrayList<>();
    int generated = candidates.size();
    candidates.keySet().removeAll(excluded);
    if (candidates.size() < generated) {
      ctx.notes().add("index.missing: " + (generated - candidates.size()) + " candidates left out: measured to make a"
          + " statement slower");
    }
    if (!candidates.isEmpty()) {
      List<IndexCandidate> pool = new ArrayList<>(candidates.values()).subList(0, Math.min(MAX_CANDIDATES, candidates.size()));
      if (!WhatIfPlanner.available(ctx.connection())) {
        ctx.notes().add("index.missing: HypoPG is not installed, so candidate indexes are not proven with what-if plans "
            + "(confidence heuristic); CREATE EXTENSION hypopg where your provider offers it");
        out.addAll(heuristic(pool, workload, writesPerHour, selectiveScans));
      } else {
        long databaseBytes = Sql.one(ctx.connection(), "SELECT pg_database_size(current_database())", rs -> rs.getLong(1));
        long budgetBytes = budget.resolve(databaseBytes);
        WhatIfPlanner planner = new WhatIfPlanner(ctx.connection(), ctx.guard(), ctx.serverVersionNum());
        try {
          List<IndexCandidate> admitted = new ArrayList<>();
          for (IndexCandidate c : pool) {
            if (planner.admissible(c)) {
              admitted.add(c);
            } else {
              ctx.notes().add("index.missing: candidate " + c.describe() + " left out: HypoPG does not accept it");
            }
          }
          out.addAll(select(ctx, planner, admitted, workload, writesPerHour, budgetBytes));
        } finally {
          planner.reset();
        }
      }
    }
    for (CandidateGenerator.FullTextColumn f : fullText.values()) {
      out.add(ginFinding(f, fullTextStatements.get(f.key()), writesPerHour, GinKind.FULL_TEXT));
    }
    for (Map.Entry<CandidateGenerator.FullTextColumn, Boolean> c : containment.entrySet()) {
      CandidateGenerator.FullTextColumn f = c.getKey();
      List<String> category = Sql.list(ctx.connection(), "SELECT CASE WHEN t.typname = 'jsonb' THEN 'jsonb' ELSE t.typcategory::text END"
          + " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = to_regclass(?) AND a.attname = ?",
          rs -> rs.getString(1), dev.pgopt.connect.Quoting.ident(f.schema()) + "." + dev.pgopt.connect.Quoting.ident(f.table()),
          f.column());
      String type = category.isEmpty() ? "" : category.get(0);
      GinKind kind = type.equals("jsonb") ? (c.getValue() ? GinKind.JSONB : GinKind.JSONB_PATH)
          : type.equals("A") ? GinKind.ARRAY : null;
      if (kind != null) {
        out.add(ginFinding(f, containmentStatements.get(f.key()), writesPerHour, kind));
      }
    }
    if (!patterns.isEmpty()) {
      boolean trgm = Sql.one(ctx.connection(), "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')",
          rs -> rs.getBoolean(1));
      if (trgm) {
        for (CandidateGenerator.FullTextColumn f : patterns.values()) {
          out.add(ginFinding(f, patternStatements.get(f.key()), writesPerHour, GinKind.TRIGRAM));
        }
      } else {
        ctx.notes().add("index.missing: " + patterns.size() + " columns are matched with ILIKE or a leading-wildcard LIKE"
            + " on whole-table scans; a trigram index would serve them, but pg_trgm is not available on this server");
      }
    }
    return out;
  }

  /** What a heuristic GIN index serves: its operator class, the part of its name, and the words for the finding. */
  enum GinKind {
    FULL_TEXT("", "gin", "GIN index", "full-text matches", "with @@"),
    TRIGRAM(" gin_trgm_ops", "trgm", "trigram GIN index", "ILIKE / '%...' LIKE matches",
        "with ILIKE or a LIKE pattern that starts with a wildcard, which a B-tree cannot serve"),
    JSONB_PATH(" jsonb_path_ops", "gin", "GIN index (jsonb_path_ops)", "jsonb containment (@>)",
        "with @> on jsonb, which a B-tree cannot serve; jsonb_path_ops is smaller and faster than the default jsonb_ops for"
            + " @>, and serves no key-exists (?) test, which these statements do not make"),
    JSONB(" jsonb_ops", "gin", "GIN index", "jsonb containment and key tests (@>, ?)",
        "with @> and key-exists (?) tests on jsonb, which a B-tree cannot serve"),
    ARRAY("", "gin", "GIN index", "array containment (@>, &&)", "with @> or && on an array, which a B-tree cannot serve");

    final String opclass;
    final String namePart;
    final String what;
    final String serves;
    final String why;

    GinKind(String opclass, String namePart, String what, String serves, String why) {
      this.opclass = opclass;
      this.namePart = namePart;
      this.what = what;
      this.serves = serves;
      this.why = why;
    }
  }

  /** A GIN index for matches that read a table whole: heuristic, as HypoPG cannot simulate GIN. */
  private Finding ginFinding(CandidateGenerator.FullTextColumn f, List<Workload> statements, Map<String, Double> writesPerHour,
      GinKind kind) {
    String table = dev.pgopt.connect.Quoting.ident(f.schema()) + "." + dev.pgopt.connect.Quoting.ident(f.table());
    String name = dev.pgopt.connect.Quoting.indexName(f.table(), List.of(f.column(), kind.namePart));
    double msPerHour = statements.stream().mapToDouble(w -> w.callsPerHour() * w.meanMs()).sum();
    List<Map<String, Object>> helped = statements.stream().map(w -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("queryid", w.queryId());
      m.put("query", w.sql().length() > 200 ? w.sql().substring(0, 200) : w.sql());
      m.put("calls_per_hour", Math.round(w.callsPerHour() * 10) / 10.0);
      m.put("mean_exec_ms", Math.round(w.meanMs() * 100) / 100.0);
      return m;
    }).toList();
    Map<String, Object> evidence = new LinkedHashMap<>();
    evidence.put("statements", helped);
    evidence.put("why_heuristic", "HypoPG cannot simulate GIN indexes; the statements scan the whole table to match " + f.column()
        + " " + kind.why);
    String column = dev.pgopt.connect.Quoting.ident(f.column());
    return new Finding(id() + ":" + f.key() + " using" + (kind.opclass.isEmpty() ? " gin" : kind.opclass), id(),
        msPerHour >= 1000 ? Severity.WARNING : Severity.INFO,
        new DbObject(f.schema(), f.table(), name, List.of(f.column())),
        kind.what + " on " + table + " (" + column + ") for " + kind.serves + " that read the whole table: "
            + statements.size() + " statements spend about " + Units.seconds(msPerHour / 1000) + " per hour",
        evidence, Map.of("current_ms_per_hour", Math.round(msPerHour), "write_overhead",
            Map.of("writes_per_hour", Math.round(writesPerHour.getOrDefault(f.schema() + "." + f.table(), 0.0)))),
        Confidence.HEURISTIC,
        IndexDefinition.of(f.schema(), f.table(), name, List.of(IndexDefinition.column(f.column(), kind.opclass.isEmpty() ? null
            : kind.opclass.strip()))).using("gin").action(kind == GinKind.TRIGRAM ? "CREATE EXTENSION IF NOT EXISTS pg_trgm;" : null));
  }

  private List<Finding> select(AdviceContext ctx, WhatIfPlanner planner, List<IndexCandidate> pool, List<Workload> workload,
      Map<String, Double> writesPerHour, long budgetBytes) throws SQLException {
    Map<Long, Double> base = new HashMap<>();
    List<Workload> plannable = new ArrayList<>();
    int sampled = 0;
    int ranged = 0;
    for (Workload statement : workload) {
      Workload w = statement;
      try {
        base.put(w.queryId(), planner.cost(w, List.of()).cost());
      } catch (SQLException e) {
        if (w.values().samples().isEmpty()) {
          ctx.notes().add("index.missing: queryid " + w.queryId() + " skipped: " + e.getMessage().split("\n")[0]);
          continue;
        }
        // a value that does not plan in the statement's text (a cast it does not survive): the generic plan alone
        w = w.withValues(ValueSamples.Plan.GENERIC);
        try {
          base.put(w.queryId(), planner.cost(w, List.of()).cost());
        } catch (SQLException again) {
          ctx.notes().add("index.missing: queryid " + w.queryId() + " skipped: " + again.getMessage().split("\n")[0]);
          continue;
        }
      }
      sampled += w.values().source() == ValueSamples.Source.HOT_VALUES ? 1 : 0;
      ranged += w.values().source() == ValueSamples.Source.RANGE_QUARTILES ? 1 : 0;
      plannable.add(w);
    }
    List<IndexCandidate> chosen = new ArrayList<>();
    Set<String> vetoed = new java.util.HashSet<>();
    long used = 0;
    while (true) {
      IndexCandidate best = null;
      double bestScore = 0;
      for (IndexCandidate c : pool) {
        if (chosen.contains(c)) {
          continue;
        }
        long size = planner.size(c);
        if (used + size > budgetBytes) {
          continue;
        }
        List<IndexCandidate> with = new ArrayList<>(chosen);
        with.add(c);
        double gain = 0;
        boolean proven = false;
        boolean regresses = false;
        for (Workload w : plannable) {
          if (!w.tables().contains(c.schema() + "." + c.table())) {
            continue;
          }
          WhatIfPlanner.Result before = planner.cost(w, chosen);
          WhatIfPlanner.Result after = planner.cost(w, with);
          if (after.usedCandidates().contains(c.key()) && after.cost() <= before.cost() * (1 - MIN_IMPROVEMENT)) {
            proven = true;
          }
          // a plan that uses the index without costing at least 10 % less is a change within the cost model's error,
          // or a predicted regression: never trade one statement for others (on TPC-H, an index that Q6's plan took
          // for a 1 % lower estimate made it 2.1x slower)
          if (after.usedCandidates().contains(c.key()) && after.cost() > before.cost() * (1 - MIN_IMPROVEMENT)) {
            regresses = true;
          }
          gain += saved(w, after.cost(), base) - saved(w, before.cost(), base);
        }
        if (regresses) {
          vetoed.add(c.key());
          continue;
        }
        double net = gain - writeMs(c, writesPerHour);
        if (proven && net > 0) {
          double score = net / Math.max(size, 8192);
          if (score > bestScore) {
            bestScore = score;
            best = c;
          }
        }
      }
      if (best == null) {
        break;
      }
      chosen.add(best);
      used += planner.size(best);
    }
    // consolidation: per byte, two or three small indexes on a table can win the rounds one by one (a BRIN on created_at,
    // then project_id, then created_at) where one index does the statement's whole job (project_id, created_at DESC),
    // as its plan insight says; once none of them can be dropped alone, the exchange below cannot see that. One index
    // in their place (no more than a quarter larger) is taken when the estimate says it saves at least CONSOLIDATE of
    // what they save together: the
    // estimates are closer than the cost model's error, and one index is written once per row, not several times, and
    // leaves the planner no combination that is cheap for the average value and slow for the real ones (a generic
    // plan ANDing a BRIN range over most of the table)
    for (String table : chosen.stream().map(c -> c.schema() + "." + c.table()).distinct().toList()) {
      // partial indexes stay: their predicate is a constant the application was seen to send
      List<IndexCandidate> onTable = chosen.stream()
          .filter(c -> (c.schema() + "." + c.table()).equals(table) && c.predicate() == null).toList();
      if (onTable.size() < 2) {
        continue;
      }
      double current = tableNet(planner, plannable, base, chosen, onTable.get(0), writesPerHour);
      IndexCandidate one = null;
      double oneNet = 0;
      for (IndexCandidate d : pool) {
        if (chosen.contains(d) || !(d.schema() + "." + d.table()).equals(table) || d.predicate() != null) {
          continue;
        }
        long replaced = bytes(planner, onTable);
        long bytes = used - replaced + planner.size(d);
        if (bytes > budgetBytes || planner.size(d) > replaced * CONSOLIDATE_SIZE) {
          continue;
        }
        List<IndexCandidate> swapped = new ArrayList<>(chosen);
        swapped.removeAll(onTable);
        List<IndexCandidate> withoutD = new ArrayList<>(swapped);
        swapped.add(d);
        double net = tableNet(planner, plannable, base, swapped, d, writesPerHour);
        if (net >= current * CONSOLIDATE && net > oneNet && !regresses(planner, plannable, table, withoutD, swapped, d)) {
          one = d;
          oneNet = net;
        }
      }
      if (one != null) {
        used = used - bytes(planner, onTable) + planner.size(one);
        chosen.removeAll(onTable);
        chosen.add(one);
      }
    }
    // exchange: per byte, a small index on a table often wins the first round, and the larger one that does the whole
    // job (equality then ORDER BY, for a LIMIT) no longer fits beside it; swap one chosen index for another candidate
    // on the same table whenever that buys more within the budget
    for (int round = 0; round < 3; round++) {
      boolean swappedAny = false;
      for (IndexCandidate c : new ArrayList<>(chosen)) {
        double current = tableNet(planner, plannable, base, chosen, c, writesPerHour);
        for (IndexCandidate d : pool) {
          if (chosen.contains(d) || !d.schema().equals(c.schema()) || !d.table().equals(c.table())) {
            continue;
          }
          long bytes = used - planner.size(c) + planner.size(d);
          if (bytes > budgetBytes) {
            continue;
          }
          List<IndexCandidate> swapped = new ArrayList<>(chosen);
          swapped.set(swapped.indexOf(c), d);
          if (tableNet(planner, plannable, base, swapped, c, writesPerHour) > current * 1.01 + 1e-9) {
            chosen = swapped;
            used = bytes;
            swappedAny = true;
            break;
          }
        }
      }
      if (!swappedAny) {
        break;
      }
    }
    // pruning: an index a later pick made unnecessary no longer pays for its writes
    for (IndexCandidate c : new ArrayList<>(chosen)) {
      List<IndexCandidate> without = new ArrayList<>(chosen);
      without.remove(c);
      if (marginal(planner, plannable, base, chosen, without, c) <= writeMs(c, writesPerHour)) {
        chosen.remove(c);
      }
    }
    ctx.notes().add("index.missing: " + plannable.size() + " statements, " + pool.size() + " candidate indexes, "
        + planner.calls() + " what-if plans (HypoPG); budget " + Units.bytes(budgetBytes));
    vetoed.removeAll(chosen.stream().map(IndexCandidate::key).toList());
    if (!vetoed.isEmpty()) {
      ctx.notes().add("index.missing: " + vetoed.size() + " candidates left out because some statement's plan would use"
          + " them for less than a 10 % lower estimated cost (a plan change within the cost model's error)");
    }
    if (sampled + ranged > 0) {
      ctx.notes().add("index.missing: " + (sampled > 0 ? sampled + " statements costed also with the most common values of"
          + " a column they compare with = (pg_stats), weighted by their shares, so hot keys count" : "")
          + (sampled > 0 && ranged > 0 ? "; " : "") + (ranged > 0 ? ranged + " statements also with the quartiles of a"
          + " column's histogram for the range a parameter bounds" : "") + ": " + planner.sampleCalls() + " of the what-if plans");
    }
    List<Finding> out = new ArrayList<>();
    for (IndexCandidate c : chosen) {
      List<IndexCandidate> without = new ArrayList<>(chosen);
      without.remove(c);
      List<Map<String, Object>> helped = new ArrayList<>();
      double costBefore = 0;
      double costAfter = 0;
      for (Workload w : plannable) {
        WhatIfPlanner.Result after = planner.cost(w, chosen);
        double before = base.get(w.queryId());
        if (!after.usedCandidates().contains(c.key()) || after.cost() > before * (1 - MIN_IMPROVEMENT)) {
          continue; // not helped enough to count (see saved)
        }
        costBefore += before * w.callsPerHour();
        costAfter += after.cost() * w.callsPerHour();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("queryid", w.queryId());
        s.put("query", w.sql().length() > 200 ? w.sql().substring(0, 200) : w.sql());
        s.put("calls_per_hour", Math.round(w.callsPerHour() * 10) / 10.0);
        s.put("mean_exec_ms", Math.round(w.meanMs() * 100) / 100.0);
        s.put("cost_before", Math.round(before * 100) / 100.0);
        s.put("cost_after", Math.round(after.cost() * 100) / 100.0);
        s.put("costed_with", w.values().described());
        helped.add(s);
      }
      double savedMs = marginal(planner, plannable, base, chosen, without, c);
      long size = planner.size(c);
      double writes = writesPerHour.getOrDefault(c.schema() + "." + c.table(), 0.0);
      Map<String, Object> impact = new LinkedHashMap<>();
      impact.put("cost_before", Math.round(costBefore));
      impact.put("cost_after", Math.round(costAfter));
      impact.put("est_ms_saved_per_hour", Math.round(savedMs));
      impact.put("size_bytes", size);
      impact.put("write_overhead", Map.of("writes_per_hour", Math.round(writes), "est_ms_per_hour", Math.round(writeMs(c, writesPerHour) * 10) / 10.0));
      Map<String, Object> evidence = new LinkedHashMap<>();
      evidence.put("statements", helped);
      evidence.put("what_if_plans", planner.calls());
      out.add(new Finding(id() + ":" + c.key(), id(), savedMs >= 1000 ? Severity.WARNING : Severity.INFO,
          new DbObject(c.schema(), c.table(), c.indexName(), c.columns()),
          c.describe() + " helps " + helped.size() + " statements: saves about "
              + Units.seconds(savedMs / 1000) + " per hour of execution for " + Units.bytes(size),
          evidence, impact, Confidence.WHAT_IF,
          c.definition(true).action(null)));
    }
    return out;
  }


  /**
   * Execution time per hour a statement saves with a plan of {@code cost} against its current plan; nothing below a
   * 10 % lower cost. The planner's cost model errs by more than a few percent (on TPC-H, an index estimated to cut Q5's
   * cost by 4 % made it 4x slower in real time): a small estimated gain is noise that can hide a real regression, so it
   * must not buy an index.
   */
  private static double saved(Workload w, double cost, Map<Long, Double> base) {
    double b = base.get(w.queryId());
    double cut = b <= 0 ? 0 : 1 - cost / b;
    return cut < MIN_IMPROVEMENT ? 0 : w.callsPerHour() * w.meanMs() * cut;
  }

  /** Time saved per hour on {@code like}'s table with {@code set}, minus the writes its indexes there cost. */
  private static double tableNet(WhatIfPlanner planner, List<Workload> workload, Map<Long, Double> base,
      List<IndexCandidate> set, IndexCandidate like, Map<String, Double> writesPerHour) throws SQLException {
    String table = like.schema() + "." + like.table();
    double total = 0;
    for (Workload w : workload) {
      if (w.tables().contains(table)) {
        total += saved(w, planner.cost(w, set).cost(), base);
      }
    }
    for (IndexCandidate i : set) {
      if ((i.schema() + "." + i.table()).equals(table)) {
        total -= writeMs(i, writesPerHour);
      }
    }
    return total;
  }

  /** Whether some statement on {@code table} would use {@code d} for less than a 10 % lower cost than without it. */
  private static boolean regresses(WhatIfPlanner planner, List<Workload> workload, String table, List<IndexCandidate> without,
      List<IndexCandidate> with, IndexCandidate d) throws SQLException {
    for (Workload w : workload) {
      if (!w.tables().contains(table)) {
        continue;
      }
      WhatIfPlanner.Result after = planner.cost(w, with);
      if (after.usedCandidates().contains(d.key()) && after.cost() > planner.cost(w, without).cost() * (1 - MIN_IMPROVEMENT)) {
        return true;
      }
    }
    return false;
  }

  private static long bytes(WhatIfPlanner planner, List<IndexCandidate> indexes) throws SQLException {
    long sum = 0;
    for (IndexCandidate c : indexes) {
      sum += planner.size(c);
    }
    return sum;
  }

  private static double marginal(WhatIfPlanner planner, List<Workload> workload, Map<Long, Double> base,
      List<IndexCandidate> with, List<IndexCandidate> without, IndexCandidate c) throws SQLException {
    double total = 0;
    for (Workload w : workload) {
      if (w.tables().contains(c.schema() + "." + c.table())) {
        total += saved(w, planner.cost(w, with).cost(), base) - saved(w, planner.cost(w, without).cost(), base);
      }
    }
    return total;
  }

  private static double writeMs(IndexCandidate c, Map<String, Double> writesPerHour) {
    return writesPerHour.getOrDefault(c.schema() + "." + c.table(), 0.0) * WRITE_MS_PER_ROW_PER_INDEX
        * (c.brin() ? BRIN_WRITE_SHARE : 1);
  }

  static double observedHours(AdviceContext ctx, StatementSnapshot snap) throws SQLException {
    Instant since = snap.statsReset() != null ? snap.statsReset()
        : Sql.one(ctx.connection(), "SELECT pg_postmaster_start_time()", rs -> rs.getTimestamp(1).toInstant());
    return Math.max(1.0 / 60, Duration.between(since, snap.takenAt()).toSeconds() / 3600.0);
  }

  /**
   * Without HypoPG: for each table a costly statement scans whole while keeping at most 5 % of its rows (the planner's
   * selectivity estimate, which comes from pg_stats), the widest candidate, unproven.
   */
  private List<Finding> heuristic(List<IndexCandidate> pool, List<Workload> workload, Map<String, Double> writesPerHour,
      Set<String> selectiveScans) {
    Map<String, IndexCandidate> widest = new LinkedHashMap<>();
    for (IndexCandidate c : pool) {
      if (!selectiveScans.contains(c.schema() + "." + c.table())) {
        continue;
      }
      widest.merge(c.schema() + "." + c.table(), c, (a, b) -> b.columns().size() > a.columns().size() ? b : a);
    }
    List<Finding> out = new ArrayList<>();
    for (IndexCandidate c : widest.values()) {
      List<Long> statements = workload.stream().filter(w -> w.tables().contains(c.schema() + "." + c.table()))
          .map(Workload::queryId).toList();
      out.add(new Finding(id() + ":" + c.key(), id(), Severity.INFO, new DbObject(c.schema(), c.table(), c.indexName(), c.columns()),
          c.describe() + " may help " + statements.size()
              + " costly statements (not proven: no HypoPG)",
          Map.of("statements", statements), Map.of("write_overhead", Map.of("writes_per_hour",
              Math.round(writesPerHour.getOrDefault(c.schema() + "." + c.table(), 0.0)))), Confidence.HEURISTIC,
          c.definition(true).action(null)));
    }
    return out;
  }
}
