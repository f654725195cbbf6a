package dev.pgopt.load;

import dev.pgopt.advise.whatif.ParameterValues;
import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.SqlText;
import dev.pgopt.collect.StatementCollector;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.collect.StatementSnapshot;
import dev.pgopt.collect.StatementRefused;
import dev.pgopt.collect.StatementStatisticsUnavailable;
import dev.pgopt.connect.Sql;
import dev.pgopt.load.internal.StatementTemplate;
import dev.pgopt.load.internal.ValueDistribution;
import java.sql.Array;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The statement mix of a database's own workload: its most called read statements from pg_stat_statements, each
 * with its share of calls and a source for every parameter (values drawn from the compared column's statistics as
 * often as they occur there; LIMIT the statement's typical row count). A statement whose parameters cannot be filled
 * that way is listed in {@link #skipped()} with the reason, never run with guessed values. Writes are not replayed.
 */
public final class WorkloadMix {
  /** One replayed statement: its share of calls, and the text JDBC runs ({@code ?} for the parameters drawn per call). */
  public record Statement(long queryId, String query, double share, String jdbcSql) {}

  /** A statement of the workload that is not replayed, and why. */
  public record Skipped(long queryId, String query, long calls, String reason) {}

  private static final Pattern WORD = Pattern.compile("\"((?:[^\"]|\"\")+)\"|([\\p{L}_][\\p{L}\\p{N}_$]*)");

  private final List<Statement> statements;
  private final List<StatementTemplate> templates;
  private final List<Skipped> skipped;
  private final double[] cumulative;

  private WorkloadMix(List<Statement> statements, List<StatementTemplate> templates, List<Skipped> skipped) {
    this.statements = List.copyOf(statements);
    this.templates = List.copyOf(templates);
    this.skipped = List.copyOf(skipped);
    this.cumulative = new double[statements.size()];
    double sum = 0;
    for (int i = 0; i < statements.size(); i++) {
      sum += statements.get(i).share();
      cumulative[i] = sum;
    }
  }

  public List<Statement> statements() {
    return statements;
  }

  public List<Skipped> skipped() {
    return skipped;
  }

  /** The index of a statement at random, as often as its share of calls. */
  int pick(RandomGenerator random) {
    double u = random.nextDouble() * cumulative[cumulative.length - 1];
    for (int i = 0; i < cumulative.length; i++) {
      if (u < cumulative[i]) {
        return i;
      }
    }
    return statements.size() - 1;
  }

  StatementTemplate template(int statement) {
    return templates.get(statement);
  }

  /**
   * The {@code top} most called read statements of the connected database.
   *
   * @throws StatementStatisticsUnavailable when pg_stat_statements is missing
   * @throws IllegalStateException when no statement of the workload can be replayed (the reasons are in the message)
   */
  public static WorkloadMix fromStatistics(Connection c, int serverVersionNum, int top)
      throws SQLException, StatementStatisticsUnavailable {
    StatementSnapshot snapshot = StatementCollector.read(c, serverVersionNum, Clock.systemUTC());
    List<StatementEntry> reads = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    for (StatementEntry e : snapshot.entries()) {
      if (!e.topLevel() || e.counters().calls() == 0 || Sql.isOwn(e.query())) {
        continue;
      }
      if (!SqlText.startsAsQuery(e.query()) || e.query().toLowerCase(Locale.ROOT).matches("(?s).*\\bfor\\s+(update|share|no key update|key share)\\b.*")) {
        skipped.add(new Skipped(e.queryId(), e.query(), e.counters().calls(), "not a read: writes, DDL and transaction control are not replayed"));
        continue;
      }
      reads.add(e);
    }
    reads.sort(Comparator.comparingLong((StatementEntry e) -> e.counters().calls()).reversed());
    Map<String, List<String>> tablesByName = new HashMap<>();
    Sql.list(c, "SELECT relname, schemaname || '.' || relname FROM pg_stat_user_tables",
        rs -> tablesByName.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2)));
    ParameterValues values = new ParameterValues(c);
    PlanGuard guard = PlanGuard.strict();
    Map<String, Optional<ValueDistribution>> distributions = new HashMap<>();
    List<StatementEntry> chosen = new ArrayList<>();
    List<StatementTemplate> templates = new ArrayList<>();
    // one text under several queryids: the same statement with other parameter types (a replay's untyped parameters
    // are jumbled differently from the application's), replayed once, as the most called of them
    Set<String> texts = new HashSet<>();
    for (StatementEntry e : reads) {
      if (chosen.size() >= top) {
        break;
      }
      if (!texts.add(e.query())) {
        continue;
      }
      String query = e.query();
      try {
        // what EXPLAIN ANALYZE may run, a replay may: one statement, no user-defined or unknown side-effecting function
        guard.admit(c, query, true);
      } catch (StatementRefused refused) {
        skipped.add(new Skipped(e.queryId(), query, e.counters().calls(), refused.getMessage()));
        continue;
      }
      if (query.indexOf('?') >= 0) {
        skipped.add(new Skipped(e.queryId(), query, e.counters().calls(),
            "contains '?' (a jsonb operator), which JDBC would take for a placeholder"));
        continue;
      }
      ParameterValues.Sites sites = values.sites(query, named(query, tablesByName), e.counters().typicalRows());
      if (sites.problem() != null) {
        skipped.add(new Skipped(e.queryId(), query, e.counters().calls(), sites.problem()));
        continue;
      }
      String problem = null;
      StringBuilder sql = new StringBuilder(query.length());
      List<Integer> placeholders = new ArrayList<>();
      Map<Integer, StatementTemplate.ValueGenerator> generators = new LinkedHashMap<>();
      Map<Integer, String> inlined = new HashMap<>();
      int copied = 0;
      for (ParameterValues.Site site : sites.sites()) {
        StatementTemplate.ValueGenerator g;
        boolean inline;
        if (site.source() instanceof ParameterValues.Source.Fixed f) {
          g = new StatementTemplate.ValueGenerator.Fixed(f.value());
          inline = f.inline();
        } else if (site.source() instanceof ParameterValues.Source.Computed computed) {
          // a function's result (substring(phone FROM 1 FOR 2) IN (...)): the one the proof would bind, every time
          g = new StatementTemplate.ValueGenerator.Fixed(computed.frequent().get(computed.rank() % computed.frequent().size()));
          inline = false;
        } else {
          ParameterValues.Source.Column col = (ParameterValues.Source.Column) site.source();
          Optional<ValueDistribution> d = distributions.computeIfAbsent(col.table() + "." + col.column(),
              k -> distribution(c, col.table(), col.column()));
          if (d.isEmpty()) {
            problem = "$" + site.number() + ": no usable statistics for " + col.table() + "." + col.column()
                + " (run ANALYZE)";
            break;
          }
          g = new StatementTemplate.ValueGenerator.FromColumn(d.get());
          inline = col.inline();
        }
        sql.append(query, copied, site.start());
        if (inline) {
          // PostgreSQL needs these written into the text (date $1, interval $1): one value for the whole run
          String v = inlined.computeIfAbsent(site.number(), n -> g.next(new java.util.SplittableRandom(n)));
          sql.append('\'').append(v.replace("'", "''")).append('\'');
        } else {
          generators.putIfAbsent(site.number(), g);
          placeholders.add(site.number());
          sql.append('?');
        }
        copied = site.end();
      }
      if (problem != null) {
        skipped.add(new Skipped(e.queryId(), query, e.counters().calls(), problem));
        continue;
      }
      sql.append(query.substring(copied));
      chosen.add(e);
      templates.add(new StatementTemplate(sql.toString(), placeholders, generators));
    }
    if (chosen.isEmpty()) {
      throw new IllegalStateException(reads.isEmpty()
          ? "pg_stat_statements holds no read statements for this database: run the application (or pgopt sample workload) first"
          : "none of the " + reads.size() + " read statements can be replayed: " + skipped.stream()
              .filter(s -> !s.reason().startsWith("not a read")).limit(3).map(Skipped::reason).toList());
    }
    long calls = chosen.stream().mapToLong(e -> e.counters().calls()).sum();
    List<Statement> statements = new ArrayList<>();
    for (int i = 0; i < chosen.size(); i++) {
      StatementEntry e = chosen.get(i);
      statements.add(new Statement(e.queryId(), e.query(), (double) e.counters().calls() / calls, templates.get(i).jdbcSql()));
    }
    return new WorkloadMix(statements, templates, skipped);
  }

  /** The scripts, each as often as its weight: {@code pgopt bench --script FILE[@WEIGHT]}. */
  public static WorkloadMix fromScripts(List<BenchScript> scripts) {
    if (scripts.isEmpty()) {
      throw new IllegalArgumentException("a mix needs at least one script");
    }
    double total = scripts.stream().mapToDouble(BenchScript::weight).sum();
    List<Statement> statements = new ArrayList<>();
    List<StatementTemplate> templates = new ArrayList<>();
    long id = 1;
    for (BenchScript s : scripts) {
      statements.add(new Statement(id++, s.sql(), s.weight() / total, s.template().jdbcSql()));
      templates.add(s.template());
    }
    return new WorkloadMix(statements, templates, List.of());
  }

  /**
   * A statement given with its own values (the sample workload's): its SQL with {@code ?} placeholders, its weight,
   * and each call's values, one per {@code ?}, as text the server types.
   */
  public record Given(String sql, double weight, Function<RandomGenerator, String[]> values) {}

  /** The given statements, each as often as its weight: {@code pgopt bench --sample-workload}. */
  public static WorkloadMix fromGiven(List<Given> given) {
    double total = given.stream().mapToDouble(Given::weight).sum();
    if (given.isEmpty() || !(total > 0)) {
      throw new IllegalArgumentException("a mix needs at least one statement with a positive weight");
    }
    List<Statement> statements = new ArrayList<>();
    List<StatementTemplate> templates = new ArrayList<>();
    long id = 1;
    for (Given g : given) {
      statements.add(new Statement(id++, g.sql(), g.weight() / total, g.sql()));
      templates.add(new StatementTemplate(g.sql(), List.of(), Map.of(), g.values()));
    }
    return new WorkloadMix(statements, templates, List.of());
  }

  /** A mix of given statements and shares (for tests and scripts): no parameters. */
  public static WorkloadMix of(Map<String, Double> sqlByShare) {
    double total = sqlByShare.values().stream().mapToDouble(Double::doubleValue).sum();
    List<Statement> statements = new ArrayList<>();
    List<StatementTemplate> templates = new ArrayList<>();
    long id = 1;
    for (Map.Entry<String, Double> e : sqlByShare.entrySet()) {
      if (e.getValue() <= 0) {
        throw new IllegalArgumentException("a statement's share must be positive: " + e.getKey());
      }
      statements.add(new Statement(id++, e.getKey(), e.getValue() / total, e.getKey()));
      templates.add(new StatementTemplate(e.getKey(), List.of(), Map.of()));
    }
    if (statements.isEmpty()) {
      throw new IllegalArgumentException("a mix needs at least one statement");
    }
    return new WorkloadMix(statements, templates, List.of());
  }

  private static Optional<ValueDistribution> distribution(Connection c, String table, String column) {
    try {
      List<ValueDistribution> found = Sql.list(c, "SELECT s.most_common_vals::text::text[], s.most_common_freqs, s.null_frac,"
          + " s.histogram_bounds::text::text[], CASE WHEN s.n_distinct >= 0 THEN s.n_distinct"
          + " ELSE -s.n_distinct * greatest(k.reltuples, 0) END"
          + " FROM pg_stats s JOIN pg_namespace n ON n.nspname = s.schemaname"
          + " JOIN pg_class k ON k.relnamespace = n.oid AND k.relname = s.tablename"
          + " WHERE s.schemaname = ? AND s.tablename = ? AND s.attname = ? ORDER BY s.inherited DESC LIMIT 1",
          rs -> new ValueDistribution(strings(rs.getArray(1)), doubles(rs.getArray(2)), rs.getDouble(3),
              strings(rs.getArray(4)), rs.getDouble(5)), table.substring(0, table.indexOf('.')),
          table.substring(table.indexOf('.') + 1), column);
      return found.stream().findFirst();
    } catch (SQLException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static List<String> strings(Array a) throws SQLException {
    return a == null ? List.of() : Arrays.stream((Object[]) a.getArray()).map(String::valueOf).toList();
  }

  private static List<Double> doubles(Array a) throws SQLException {
    return a == null ? List.of() : Arrays.stream((Object[]) a.getArray()).map(x -> ((Number) x).doubleValue()).toList();
  }

  /** The user tables whose names appear in the statement (in any schema that has one). */
  private static Set<String> named(String query, Map<String, List<String>> tablesByName) {
    Set<String> out = new LinkedHashSet<>();
    Matcher m = WORD.matcher(query);
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1).replace("\"\"", "\"") : m.group(2).toLowerCase(Locale.ROOT);
      out.addAll(tablesByName.getOrDefault(name, List.of()));
    }
    return out;
  }
}
