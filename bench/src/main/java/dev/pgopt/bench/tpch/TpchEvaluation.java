package dev.pgopt.bench.tpch;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.prove.IndexProof;
import dev.pgopt.advise.rules.IndexMissingRule;
import dev.pgopt.advise.whatif.IndexBudget;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementCounters;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.collect.StatementSnapshot;
import io.trino.tpch.TpchEntity;
import io.trino.tpch.TpchTable;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.postgresql.PGConnection;

/**
 * pgopt advise on TPC-H, as the index-selection literature evaluates advisors (Kossmann et al., VLDB 2020): the official
 * data (Trino's port of dbgen), primary keys only, the 22 queries at several parameter seeds; for each storage budget,
 * the indexes index.missing proposes are built for real and the queries planned and run again.
 *
 * <pre>
 *   load URL [SF]                          create the tables, load them, add primary keys, VACUUM ANALYZE
 *   run URL REPORT.md [SEEDS] [TIMEOUT_S] [BUDGETS%...]   measure; the report is written as a Markdown table
 *   (-Dtpch.prove=true: each budget also with the advice after advise --prove, see IndexProof)
 * </pre>
 */
public final class TpchEvaluation {
  private static final List<String> DDL = List.of(
      "CREATE TABLE region (r_regionkey int NOT NULL, r_name char(25) NOT NULL, r_comment varchar(152))",
      "CREATE TABLE nation (n_nationkey int NOT NULL, n_name char(25) NOT NULL, n_regionkey int NOT NULL, n_comment varchar(152))",
      "CREATE TABLE part (p_partkey int NOT NULL, p_name varchar(55) NOT NULL, p_mfgr char(25) NOT NULL, p_brand char(10) NOT NULL,"
          + " p_type varchar(25) NOT NULL, p_size int NOT NULL, p_container char(10) NOT NULL, p_retailprice numeric(15,2) NOT NULL,"
          + " p_comment varchar(23) NOT NULL)",
      "CREATE TABLE supplier (s_suppkey int NOT NULL, s_name char(25) NOT NULL, s_address varchar(40) NOT NULL,"
          + " s_nationkey int NOT NULL, s_phone char(15) NOT NULL, s_acctbal numeric(15,2) NOT NULL, s_comment varchar(101) NOT NULL)",
      "CREATE TABLE partsupp (ps_partkey int NOT NULL, ps_suppkey int NOT NULL, ps_availqty int NOT NULL,"
          + " ps_supplycost numeric(15,2) NOT NULL, ps_comment varchar(199) NOT NULL)",
      "CREATE TABLE customer (c_custkey int NOT NULL, c_name varchar(25) NOT NULL, c_address varchar(40) NOT NULL,"
          + " c_nationkey int NOT NULL, c_phone char(15) NOT NULL, c_acctbal numeric(15,2) NOT NULL, c_mktsegment char(10) NOT NULL,"
          + " c_comment varchar(117) NOT NULL)",
      "CREATE TABLE orders (o_orderkey int NOT NULL, o_custkey int NOT NULL, o_orderstatus char(1) NOT NULL,"
          + " o_totalprice numeric(15,2) NOT NULL, o_orderdate date NOT NULL, o_orderpriority char(15) NOT NULL,"
          + " o_clerk char(15) NOT NULL, o_shippriority int NOT NULL, o_comment varchar(79) NOT NULL)",
      "CREATE TABLE lineitem (l_orderkey int NOT NULL, l_partkey int NOT NULL, l_suppkey int NOT NULL, l_linenumber int NOT NULL,"
          + " l_quantity numeric(15,2) NOT NULL, l_extendedprice numeric(15,2) NOT NULL, l_discount numeric(15,2) NOT NULL,"
          + " l_tax numeric(15,2) NOT NULL, l_returnflag char(1) NOT NULL, l_linestatus char(1) NOT NULL, l_shipdate date NOT NULL,"
          + " l_commitdate date NOT NULL, l_receiptdate date NOT NULL, l_shipinstruct char(25) NOT NULL,"
          + " l_shipmode char(10) NOT NULL, l_comment varchar(44) NOT NULL)");
  private static final List<String> KEYS = List.of(
      "ALTER TABLE region ADD PRIMARY KEY (r_regionkey)", "ALTER TABLE nation ADD PRIMARY KEY (n_nationkey)",
      "ALTER TABLE part ADD PRIMARY KEY (p_partkey)", "ALTER TABLE supplier ADD PRIMARY KEY (s_suppkey)",
      "ALTER TABLE partsupp ADD PRIMARY KEY (ps_partkey, ps_suppkey)", "ALTER TABLE customer ADD PRIMARY KEY (c_custkey)",
      "ALTER TABLE orders ADD PRIMARY KEY (o_orderkey)", "ALTER TABLE lineitem ADD PRIMARY KEY (l_orderkey, l_linenumber)");

  private TpchEvaluation() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: load URL [SF] | run URL REPORT.md [SEEDS] [TIMEOUT_S] [BUDGET% ...]");
      System.exit(2);
    }
    if (args[0].equals("load")) {
      load(args[1], args.length > 2 ? Double.parseDouble(args[2]) : 1.0);
    } else {
      List<Double> budgets = new ArrayList<>();
      for (int i = 5; i < args.length; i++) {
        budgets.add(Double.parseDouble(args[i]));
      }
      run(args[1], Path.of(args[2]), args.length > 3 ? Integer.parseInt(args[3]) : 3,
          args.length > 4 ? Integer.parseInt(args[4]) : 60, budgets.isEmpty() ? List.of(5.0, 10.0, 20.0, 40.0) : budgets,
          Boolean.getBoolean("tpch.prove"));
    }
  }

  static void load(String url, double sf) throws Exception {
    try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
      for (TpchTable<?> t : TpchTable.getTables()) {
        s.execute("DROP TABLE IF EXISTS " + t.getTableName() + " CASCADE");
      }
      for (String ddl : DDL) {
        s.execute(ddl);
      }
      for (TpchTable<?> t : TpchTable.getTables()) {
        long start = System.nanoTime();
        long rows = ((PGConnection) c).getCopyAPI().copyIn("COPY " + t.getTableName() + " FROM STDIN (DELIMITER '|')",
            new LineReader(t.createGenerator(sf, 1, 1).iterator()));
        System.err.printf(Locale.ROOT, "%s: %,d rows in %.1f s%n", t.getTableName(), rows, (System.nanoTime() - start) / 1e9);
      }
      for (String key : KEYS) {
        s.execute(key);
      }
      s.execute("VACUUM ANALYZE");
    }
  }

  /** dbgen's lines without their trailing '|', one after the other, as COPY reads them. */
  private static final class LineReader extends Reader {
    private final Iterator<? extends TpchEntity> rows;
    private String current = "";
    private int at;

    LineReader(Iterator<? extends TpchEntity> rows) {
      this.rows = rows;
    }

    @Override
    public int read(char[] buf, int off, int len) {
      if (at == current.length()) {
        if (!rows.hasNext()) {
          return -1;
        }
        String line = rows.next().toLine();
        current = line.substring(0, line.length() - 1) + "\n";
        at = 0;
      }
      int n = Math.min(len, current.length() - at);
      current.getChars(at, at + n, buf, off);
      at += n;
      return n;
    }

    @Override
    public void close() {}
  }

  /** One execution: its time (the timeout when it was cut), whether it was cut, and its plan's estimated cost. */
  record Run(double ms, boolean timedOut, double cost) {}

  static void run(String url, Path report, int seeds, int timeoutS, List<Double> budgets, boolean prove) throws Exception {
    try (Connection c = DriverManager.getConnection(url)) {
      int version = c.getMetaData().getDatabaseMajorVersion() * 10000;
      dropAdvised(c);
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
      }
      System.err.println("baseline: 22 queries x " + seeds + " seeds, primary keys only");
      Map<String, Run> base = measure(c, seeds, timeoutS);
      StatementSnapshot workload = workload(c, version, base, seeds);
      long dataBytes = one(c, "SELECT pg_database_size(current_database())");
      List<String> lines = new ArrayList<>();
      lines.add(String.format(Locale.ROOT, "Database %s (primary keys only), %d seeds, statement timeout %d s; runs cut at the"
          + " timeout count as the timeout.", human(dataBytes), seeds, timeoutS));
      lines.add("");
      lines.add("| budget | indexes | their size (built) | est. cost, sum | est. cost, geo. mean | time, sum | time, geo. mean"
          + " | slower queries | statements planned |");
      lines.add("|---|---|---|---|---|---|---|---|---|");
      lines.add(String.format(Locale.ROOT, "| none | 0 | 0 | 1.00 | 1.00 | 1.00 (%s) | 1.00 | - | - |",
          seconds(base.values().stream().mapToDouble(Run::ms).sum())));
      List<String> details = new ArrayList<>();
      List<String> perQueryLines = new ArrayList<>();
      List<String> proveNotes = new ArrayList<>();
      for (double pct : budgets) {
        List<Finding> advised = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
          s.execute("SET TRANSACTION READ ONLY");
        }
        AdviceContext ctx = new AdviceContext(c, version, Clock.systemUTC(), Optional.of(workload), Map.of(), Map.of(), notes,
            PlanGuard.strict());
        long adviseStart = System.nanoTime();
        IndexMissingRule rule = new IndexMissingRule(100, new IndexBudget(null, pct));
        advised.addAll(rule.evaluate(ctx));
        double adviseS = (System.nanoTime() - adviseStart) / 1e9;
        notes.forEach(n -> System.err.println("  note: " + n));
        c.rollback();
        c.setAutoCommit(true);
        List<List<Finding>> variants = new ArrayList<>(List.of(advised));
        if (prove) {
          long proveStart = System.nanoTime();
          // asked again on this connection between the proof's rounds, with the same workload
          IndexProof.Revision revision = dropped -> {
            try (Statement s = c.createStatement()) {
              s.execute("SET TRANSACTION READ ONLY");
            }
            List<Finding> again = rule.excluding(dropped).evaluate(new AdviceContext(c, version, Clock.systemUTC(),
                Optional.of(workload), Map.of(), Map.of(), new ArrayList<>(), PlanGuard.strict()));
            c.rollback();
            return again;
          };
          IndexProof.Result proven = IndexProof.prove(c, PlanGuard.strict(), advised, workload.entries(),
              new IndexProof.Options(3, Duration.ofSeconds(2), Duration.ofSeconds(timeoutS), Duration.ofMinutes(30), Long.MAX_VALUE, 50),
              revision);
          proven.notes().forEach(n -> System.err.println("  note: " + n));
          System.err.printf(Locale.ROOT, "budget %.0f %%: prove %.0f s%n", pct, (System.nanoTime() - proveStart) / 1e9);
          proveNotes.add(String.format(Locale.ROOT, "- %.0f %%: %s", pct, String.join("; ", proven.notes())));
          variants.add(proven.findings());
        }
        for (List<Finding> variant : variants) {
          String label = String.format(Locale.ROOT, variant == advised ? "%.0f %%" : "%.0f %%, proven", pct);
          List<Finding> findings = variant;
          List<String> built = new ArrayList<>();
          try (Statement s = c.createStatement()) {
            for (Finding f : findings) {
              if (f.action() == null) {
                continue;
              }
              for (String ddl : f.action().sql().split(";\n?")) {
                if (!ddl.isBlank()) {
                  s.execute(ddl.replace("CONCURRENTLY ", ""));
                }
              }
              built.add(f.object().index());
            }
            s.execute("ANALYZE");
          }
          long indexBytes = built.isEmpty() ? 0 : one(c, "SELECT coalesce(sum(pg_relation_size(i.indexrelid)), 0) FROM pg_index i"
              + " JOIN pg_class x ON x.oid = i.indexrelid WHERE NOT i.indisprimary AND x.relnamespace = 'public'::regnamespace");
          System.err.printf(Locale.ROOT, "budget %.0f %%: %d indexes (%s), advise %.1f s%n", pct, built.size(), human(indexBytes), adviseS);
          Map<String, Run> with = measure(c, seeds, timeoutS);
          double costSum = 0;
          double baseCostSum = 0;
          double timeSum = 0;
          double costLog = 0;
          double timeLog = 0;
          List<String> slower = new ArrayList<>();
          for (Map.Entry<String, Run> e : base.entrySet()) {
            Run b = e.getValue();
            Run w = with.get(e.getKey());
            baseCostSum += b.cost();
            costSum += w.cost();
            timeSum += w.ms();
            costLog += Math.log(w.cost() / b.cost());
            timeLog += Math.log(Math.max(1, w.ms()) / Math.max(1, b.ms()));
            // beyond noise: a fifth slower and at least 100 ms
            if (w.ms() > b.ms() * 1.2 && w.ms() - b.ms() > 100) {
              slower.add(e.getKey() + String.format(Locale.ROOT, " %.0f→%.0f ms", b.ms(), w.ms()));
            }
          }
          int n = base.size();
          double baseTime = base.values().stream().mapToDouble(Run::ms).sum();
          String coverage = notes.stream().filter(x -> x.startsWith("index.missing: planned")).findFirst().orElse("");
          String planned = coverage.replaceAll("^index.missing: planned (\\d+ of \\d+) statements.*", "$1");
          lines.add(String.format(Locale.ROOT, "| %s (%s) | %d | %s | %.3f | %.2f | %.2f (%s) | %.2f | %s | %s |", label,
              human((long) (dataBytes * pct / 100)), built.size(), human(indexBytes), costSum / baseCostSum, Math.exp(costLog / n),
              timeSum / baseTime, seconds(timeSum), Math.exp(timeLog / n), slower.isEmpty() ? "none" : String.join(", ", slower),
              planned));
          List<String> perQuery = new ArrayList<>();
          for (int q = 1; q <= 22; q++) {
            double cr = 0;
            double tr = 0;
            for (int seed = 1; seed <= seeds; seed++) {
              Run b = base.get("Q" + q + "/" + seed);
              Run w = with.get("Q" + q + "/" + seed);
              cr += Math.log(w.cost() / b.cost());
              tr += Math.log(Math.max(1, w.ms()) / Math.max(1, b.ms()));
            }
            perQuery.add(String.format(Locale.ROOT, "Q%d %.2f/%.2f", q, Math.exp(cr / seeds), Math.exp(tr / seeds)));
          }
          perQueryLines.add("- " + label + ": " + String.join(", ", perQuery));
          details.add("- " + label + ": " + (built.isEmpty() ? "no index" : String.join(", ",
              findings.stream().filter(f -> f.action() != null).map(f -> f.action().sql().replace("CREATE INDEX CONCURRENTLY ", "")
                  .replaceAll(" ON public\\.", " on ").replace(";", "")).toList())));
          dropAdvised(c);
        }
      }
      if (prove) {
        lines.add("");
        lines.add("What the proof did, per budget:");
        lines.add("");
        lines.addAll(proveNotes);
      }
      lines.add("");
      lines.add("Indexes per budget:");
      lines.add("");
      lines.addAll(details);
      lines.add("");
      lines.add("Per query, estimated cost / time with the indexes against without (geometric mean over the seeds):");
      lines.add("");
      lines.addAll(perQueryLines);
      lines.add("");
      lines.add("Per query (seed 1), without indexes: " + String.join(", ", base.entrySet().stream()
          .filter(e -> e.getKey().endsWith("/1")).map(e -> e.getKey().replace("/1", "") + " "
              + (e.getValue().timedOut() ? "timeout" : seconds(e.getValue().ms()))).toList()));
      Files.writeString(report, String.join("\n", lines) + "\n");
      System.out.println(String.join("\n", lines));
    }
  }

  /** Every query at every seed: plan cost (EXPLAIN) and execution time, in query order. */
  private static Map<String, Run> measure(Connection c, int seeds, int timeoutS) throws SQLException {
    Map<String, Run> out = new LinkedHashMap<>();
    try (Statement s = c.createStatement()) {
      s.execute("SET statement_timeout = '" + timeoutS + "s'");
      for (int q = 1; q <= 22; q++) {
        for (int seed = 1; seed <= seeds; seed++) {
          String sql = TpchQueries.query(q, seed, 1.0);
          double cost;
          try (ResultSet rs = s.executeQuery("EXPLAIN (FORMAT JSON) " + sql)) {
            rs.next();
            String json = rs.getString(1);
            int at = json.indexOf("\"Total Cost\": ") + 14;
            cost = Double.parseDouble(json.substring(at, json.indexOf(',', at)));
          }
          long start = System.nanoTime();
          boolean cut = false;
          try (ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
              // read every row, as a client would
            }
          } catch (SQLException e) {
            if (!"57014".equals(e.getSQLState())) {
              throw e;
            }
            cut = true;
          }
          double ms = cut ? timeoutS * 1000.0 : (System.nanoTime() - start) / 1e6;
          out.put("Q" + q + "/" + seed, new Run(ms, cut, cost));
          System.err.printf(Locale.ROOT, "  Q%d seed %d: %s, cost %.0f%n", q, seed, cut ? "timeout" : seconds(ms), cost);
        }
      }
      s.execute("RESET statement_timeout");
    }
    return out;
  }

  /**
   * The workload as advise sees it: pg_stat_statements' normalized texts of the 22 queries, with the times measured
   * here. A run cut by the timeout never reaches pg_stat_statements' counters (its text is there from parsing), so the
   * counters are the client's: calls and time (the timeout for a cut run), as they would be had the runs finished.
   */
  private static StatementSnapshot workload(Connection c, int version, Map<String, Run> runs, int seeds) throws Exception {
    // queries whose every run was cut are not in pg_stat_statements: a run of the same text that selects nothing is
    try (Statement s = c.createStatement()) {
      for (int q = 1; q <= 22; q++) {
        int number = q;
        boolean allCut = runs.entrySet().stream().filter(e -> e.getKey().startsWith("Q" + number + "/"))
            .allMatch(e -> e.getValue().timedOut());
        String quick = TpchQueries.quickVariant(q);
        if (allCut && quick != null) {
          s.executeQuery(quick).close();
        }
      }
    }
    StatementSnapshot snap = StatementCollector.read(c, version, Clock.systemUTC());
    Map<Integer, Double> ms = new HashMap<>();
    runs.forEach((k, v) -> ms.merge(Integer.parseInt(k.substring(1, k.indexOf('/'))), v.ms(), Double::sum));
    List<StatementEntry> entries = new ArrayList<>();
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    // read directly: the collector leaves out entries without a finished call, which is what a cut run leaves
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT userid::int8, dbid::int8, queryid, toplevel,"
        + " query, rows FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
        + " AND query LIKE '%/* tpch q%'")) {
      while (rs.next()) {
        String text = rs.getString("query");
        int q = TpchQueries.marker(text);
        // the EXPLAINs this evaluation ran carry the marker too
        if (q == 0 || !dev.pgopt.collect.PlanCollector.plannable(text) || !seen.add(q)) {
          continue;
        }
        entries.add(new StatementEntry(rs.getLong("userid"), rs.getLong("dbid"), rs.getLong("queryid"), rs.getBoolean("toplevel"),
            "tpch", text, new StatementCounters(seeds, ms.get(q), Math.max(rs.getLong("rows"), seeds), 0, 0, 0, 0, 0, 0, 0)));
      }
    }
    System.err.println("workload: " + entries.size() + " of 22 queries found in pg_stat_statements");
    Instant now = Instant.now();
    return new StatementSnapshot(now, snap.database(), snap.dbId(), version, now.minus(Duration.ofHours(1)), snap.deallocations(),
        snap.maxEntries(), entries);
  }

  /** Drops every index but the primary keys. */
  private static void dropAdvised(Connection c) throws SQLException {
    List<String> names = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT x.relname FROM pg_index i JOIN pg_class x"
        + " ON x.oid = i.indexrelid WHERE NOT i.indisprimary AND x.relnamespace = 'public'::regnamespace")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    try (Statement s = c.createStatement()) {
      for (String n : names) {
        s.execute("DROP INDEX public.\"" + n.replace("\"", "\"\"") + "\"");
      }
    }
  }

  private static long one(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String human(long bytes) {
    return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GB", bytes / (double) (1L << 30))
        : String.format(Locale.ROOT, "%.0f MB", bytes / (double) (1L << 20));
  }

  private static String seconds(double ms) {
    return String.format(Locale.ROOT, "%.1f s", ms / 1000);
  }
}
