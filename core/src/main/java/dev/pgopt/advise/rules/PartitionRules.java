package dev.pgopt.advise.rules;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.advise.Rule;
import dev.pgopt.advise.TableGrowth;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.collect.SqlText;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.collect.internal.SqlLexer;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Partitioning advice from the workload, not folklore. {@code table.partition_candidate}: a large table whose
 * statements filter by a time column that grows with the table (high physical correlation in pg_stats), so range
 * partitions would let most of them read only recent partitions, or whose old rows are removed by DELETE statements
 * on that column, which dropping a partition would do without dead rows for vacuum. {@code table.partition_excess}:
 * a partitioned table of so many small partitions that planning and locking them costs more than pruning saves.
 */
public final class PartitionRules {
  private PartitionRules() {}

  private static final Set<String> TIME_TYPES = Set.of("timestamp with time zone", "timestamp without time zone", "date");
  private static final Set<String> RANGE_OPERATORS = Set.of("<", ">", "<=", ">=");
  /** A column this correlated with the physical order is filled in time order: rows arrive with their time. */
  static final double APPEND_CORRELATION = 0.9;
  /** Pruning must serve at least this share of the table's statement time for the filter evidence to count. */
  static final double PRUNING_SHARE = 0.5;
  private static final long GB = 1L << 30;

  /** {@code table.partition_candidate}; {@code minBytes}: smaller tables are not worth the partitions (default 1 GB). */
  public static final class Candidate implements Rule {
    /** Growth drawn through less history than this is noise (a bulk load, a vacuum): not used. */
    static final double MIN_HISTORY_DAYS = 1;

    private final long minBytes;
    private final TableGrowth growth;

    public Candidate() {
      this(GB, TableGrowth.NONE);
    }

    public Candidate(long minBytes) {
      this(minBytes, TableGrowth.NONE);
    }

    /** {@code growth}: sizes over a history, preferred to the inserts of the statements' window. */
    public Candidate(long minBytes, TableGrowth growth) {
      this.minBytes = minBytes;
      this.growth = growth;
    }

    @Override
    public String id() {
      return "table.partition_candidate";
    }

    @Override
    public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
      record Table(String schema, String name, long bytes, long rows) {}
      List<Table> tables = Sql.list(ctx.connection(), """
          SELECT n.nspname, c.relname, pg_total_relation_size(c.oid), greatest(c.reltuples, 0)::bigint
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'r' AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgopt')
            AND n.nspname NOT LIKE 'pg\\_%' AND pg_total_relation_size(c.oid) >= ?
          ORDER BY 3 DESC LIMIT 50""", rs -> new Table(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4)), minBytes);
      List<Finding> out = new ArrayList<>();
      for (Table t : tables) {
        record Column(String name, double correlation) {}
        List<Column> columns = Sql.list(ctx.connection(), """
            SELECT a.attname, coalesce(s.correlation, 0)
            FROM pg_attribute a LEFT JOIN pg_stats s ON s.schemaname = ? AND s.tablename = ? AND s.attname = a.attname
            WHERE a.attrelid = format('%I.%I', ?, ?)::regclass AND a.attnum > 0 AND NOT a.attisdropped
              AND format_type(a.atttypid, a.atttypmod) = ANY (?)
            ORDER BY abs(coalesce(s.correlation, 0)) DESC""", rs -> new Column(rs.getString(1), rs.getDouble(2)),
            t.schema(), t.name(), t.schema(), t.name(), ctx.connection().createArrayOf("text", TIME_TYPES.toArray()));
        if (columns.isEmpty()) {
          continue;
        }
        Column best = null;
        Use bestUse = null;
        for (Column col : columns) {
          Use use = ctx.workload().map(w -> use(w, t.schema(), t.name(), col.name())).orElse(Use.NONE);
          boolean append = col.correlation() >= APPEND_CORRELATION;
          boolean prunes = use.tableMs() > 0 && use.filteredMs() / use.tableMs() >= PRUNING_SHARE;
          if ((append && (prunes || use.deletes() > 0 || ctx.workload().isEmpty())) && (best == null
              || use.filteredMs() + use.deleteMs() > bestUse.filteredMs() + bestUse.deleteMs())) {
            best = col;
            bestUse = use;
          }
        }
        if (best == null) {
          continue;
        }
        double hours = ctx.workload().isPresent() ? IndexMissingRule.observedHours(ctx, ctx.workload().get()) : 0;
        double bytesPerRow = t.rows() > 0 ? (double) t.bytes() / t.rows() : 0;
        double growthPerDay = hours > 0 ? bestUse.insertedRows() / hours * 24 * bytesPerRow : 0;
        String growthFrom = hours > 0 ? String.format(Locale.ROOT, "inserts in the statements' window of %.1f hours", hours) : null;
        java.util.Optional<TableGrowth.Measured> kept = growth.of(t.schema(), t.name())
            .filter(g -> g.days() >= MIN_HISTORY_DAYS && g.points() >= 3);
        if (kept.isPresent()) {
          growthPerDay = Math.max(0, kept.get().bytesPerDay());
          growthFrom = String.format(Locale.ROOT, "%s: %d sizes over %.1f days", kept.get().source(), kept.get().points(),
              kept.get().days());
        }
        String interval = growthPerDay > 2.0 * GB ? "1 day" : growthPerDay * 7 > 2.0 * GB ? "7 days" : "1 month";
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("size_bytes", t.bytes());
        evidence.put("rows", t.rows());
        evidence.put("column", best.name());
        evidence.put("correlation", Math.round(best.correlation() * 1000) / 1000.0);
        if (ctx.workload().isPresent()) {
          evidence.put("window_hours", Math.round(hours * 10) / 10.0);
          evidence.put("statements_on_table", bestUse.statements());
          evidence.put("time_share_filtering_by_column", bestUse.tableMs() == 0 ? 0
              : Math.round(1000 * bestUse.filteredMs() / bestUse.tableMs()) / 1000.0);
          evidence.put("rows_deleted_per_day_by_time", Math.round(bestUse.deletedRows() / hours * 24));
        }
        if (growthFrom != null) {
          evidence.put("growth_bytes_per_day", Math.round(growthPerDay));
          evidence.put("growth_from", growthFrom);
        }
        evidence.put("proposal", Map.of("column", best.name(), "interval", interval, "premake", interval.equals("1 day") ? 7 : 3,
            "retention", bestUse.deletes() > 0 ? "drop old partitions (pgopt retention) instead of DELETE" : "none proposed"));
        List<String> vectorIndexes = Sql.list(ctx.connection(), """
            SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam
            WHERE x.indrelid = format('%I.%I', ?, ?)::regclass AND am.amname IN ('hnsw', 'ivfflat') ORDER BY 1""",
            rs -> rs.getString(1), t.schema(), t.name());
        if (!vectorIndexes.isEmpty()) {
          // measured in docs/benchmarks/partitioning.md: pruned searches gain, searches of everything walk every graph
          evidence.put("vector_indexes", vectorIndexes);
          evidence.put("vector_tradeoff", "each partition gets its own graph: vector searches filtered by " + best.name()
              + " search one small graph (faster, exact-er); searches of everything walk every partition's graph"
              + " (cost grows with the partitions): check with pgopt vector tune after migrating (docs/partitioning.md,"
              + " Vector tables)");
        }
        evidence.put("suggestion", "pgopt partition migrate --table " + t.schema() + "." + t.name() + " --column " + best.name()
            + " --interval '" + interval + "'   (a dry run; online with --execute, docs/partitioning.md)");
        String why = bestUse.deletes() > 0
            ? String.format(Locale.ROOT, "DELETE by %s removes about %s rows a day, each a dead row for vacuum; dropping a"
                + " partition removes them at once", best.name(), Units.count(bestUse.deletedRows() / Math.max(hours, 1e-9) * 24))
            : ctx.workload().isPresent()
                ? String.format(Locale.ROOT, "%.0f %% of its statement time filters by %s, which partitions would prune",
                    100 * bestUse.filteredMs() / bestUse.tableMs(), best.name())
                : best.name() + " grows with the table (correlation " + Math.round(best.correlation() * 100) / 100.0
                    + "); no workload was read to show queries would prune";
        boolean strong = bestUse.deletes() > 0 || t.bytes() >= 10 * GB;
        out.add(new Finding(id() + ":" + t.schema() + "." + t.name(), id(), strong ? Severity.WARNING : Severity.INFO,
            new DbObject(t.schema(), t.name(), null, List.of(best.name())),
            "partition " + t.schema() + "." + t.name() + " (" + Units.bytes(t.bytes()) + ") by " + best.name() + ", "
                + interval + ": " + why, evidence, Map.of("size_bytes", t.bytes()),
            ctx.workload().isPresent() ? Confidence.MEASURED : Confidence.HEURISTIC, null));
      }
      return out;
    }
  }

  /** {@code table.partition_excess}: more than 1,000 partitions averaging under 10 MB. */
  public static final class Excess implements Rule {
    static final int MANY = 1000;
    static final long SMALL = 10L << 20;

    @Override
    public String id() {
      return "table.partition_excess";
    }

    @Override
    public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
      record Parent(String schema, String name, long partitions, long bytes) {}
      List<Parent> parents = Sql.list(ctx.connection(), """
          SELECT n.nspname, c.relname, count(i.inhrelid), coalesce(sum(pg_total_relation_size(i.inhrelid)), 0)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_inherits i ON i.inhparent = c.oid
          WHERE c.relkind = 'p' GROUP BY 1, 2 HAVING count(i.inhrelid) > ?""",
          rs -> new Parent(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4)), MANY);
      List<Finding> out = new ArrayList<>();
      for (Parent p : parents) {
        long avg = p.bytes() / Math.max(1, p.partitions());
        if (avg >= SMALL) {
          continue;
        }
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("partitions", p.partitions());
        evidence.put("average_partition_bytes", avg);
        evidence.put("suggestion", "a coarser interval (partitions of about 1 to 50 GB): planning and locking scale with the"
            + " partitions a statement may touch");
        out.add(new Finding(id() + ":" + p.schema() + "." + p.name(), id(), Severity.INFO, DbObject.table(p.schema(), p.name()),
            p.schema() + "." + p.name() + " has " + p.partitions() + " partitions of " + Units.bytes(avg) + " on average",
            evidence, Map.of(), Confidence.MEASURED, null));
      }
      return out;
    }
  }

  /** How the workload uses one table and one of its time columns. */
  record Use(int statements, double tableMs, double filteredMs, int deletes, double deleteMs, double deletedRows,
             double insertedRows) {
    static final Use NONE = new Use(0, 0, 0, 0, 0, 0, 0);
  }

  static Use use(StatementSnapshot w, String schema, String table, String column) {
    int statements = 0;
    int deletes = 0;
    double tableMs = 0;
    double filteredMs = 0;
    double deleteMs = 0;
    double deletedRows = 0;
    double insertedRows = 0;
    for (StatementEntry e : w.entries()) {
      List<SqlLexer.Token> tokens = SqlLexer.lex(e.query(), true).tokens();
      if (!names(tokens, schema, table)) {
        continue;
      }
      statements++;
      double ms = e.counters().totalExecMs();
      String first = SqlText.firstWord(e.query());
      if (first.equals("insert") || first.equals("copy")) {
        insertedRows += e.counters().rows();
        continue;
      }
      tableMs += ms;
      if (rangeOn(tokens, column)) {
        filteredMs += ms;
        if (first.equals("delete")) {
          deletes++;
          deleteMs += ms;
          deletedRows += e.counters().rows();
        }
      }
    }
    return new Use(statements, tableMs, filteredMs, deletes, deleteMs, deletedRows, insertedRows);
  }

  private static boolean names(List<SqlLexer.Token> tokens, String schema, String table) {
    for (int i = 0; i < tokens.size(); i++) {
      SqlLexer.Token t = tokens.get(i);
      if (t.kind() == SqlLexer.Kind.IDENTIFIER && unquote(t.text()).equals(table)) {
        boolean qualifiedOther = i >= 2 && tokens.get(i - 1).text().equals(".") && !unquote(tokens.get(i - 2).text()).equals(schema);
        if (!qualifiedOther) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether the column is compared by a range operator or BETWEEN on either side. */
  private static boolean rangeOn(List<SqlLexer.Token> tokens, String column) {
    for (int i = 0; i < tokens.size(); i++) {
      SqlLexer.Token t = tokens.get(i);
      if (t.kind() != SqlLexer.Kind.IDENTIFIER || !unquote(t.text()).equals(column)) {
        continue;
      }
      SqlLexer.Token next = i + 1 < tokens.size() ? tokens.get(i + 1) : null;
      SqlLexer.Token prev = i > 0 ? tokens.get(i - 1) : null;
      if (next != null && (RANGE_OPERATORS.contains(next.text()) || next.text().equalsIgnoreCase("between"))
          || prev != null && RANGE_OPERATORS.contains(prev.text())) {
        return true;
      }
    }
    return false;
  }

  private static String unquote(String s) {
    return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1).replace("\"\"", "\"")
        : s.toLowerCase(Locale.ROOT);
  }
}
