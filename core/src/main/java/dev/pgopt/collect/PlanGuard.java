package dev.pgopt.collect;

import dev.pgopt.collect.internal.FunctionCatalog;
import dev.pgopt.collect.internal.SqlLexer;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides whether a statement from outside (a user, pg_stat_statements) may be planned or, with ANALYZE, run: exactly
 * one statement of a kind EXPLAIN accepts, and no function that planning would evaluate unless it is known to be
 * harmless (see {@link FunctionCatalog}). Every EXPLAIN pgopt makes goes through one, in {@link PlanCollector}.
 *
 * <p>User-defined functions are refused unless the user opts in ({@link #allowingUserFunctions()}); then each one that
 * a planned statement reaches is named in {@link #notes()}. ANALYZE never runs a user-defined function.
 *
 * <p>One guard serves one database; it reads the catalog once per mode and remembers its verdict per text, so the
 * what-if search, which plans a statement hundreds of times, pays for the check once. Not thread-safe.
 */
public final class PlanGuard {
  private final boolean allowUserFunctions;
  private final Map<Boolean, FunctionCatalog> catalogs = new HashMap<>();
  private final Map<String, Verdict> verdicts = new HashMap<>();
  private final Set<String> notes = new LinkedHashSet<>();
  private Boolean standardConformingStrings;

  private record Verdict(String statement, String refusal, String note) {}

  private PlanGuard(boolean allowUserFunctions) {
    this.allowUserFunctions = allowUserFunctions;
  }

  /** Refuses statements that would run user-defined functions while planning. */
  public static PlanGuard strict() {
    return new PlanGuard(false);
  }

  /** Plans statements that call user-defined functions, and names each in {@link #notes()}. */
  public static PlanGuard allowingUserFunctions() {
    return new PlanGuard(true);
  }

  public static PlanGuard of(boolean allowUserFunctions) {
    return new PlanGuard(allowUserFunctions);
  }

  public boolean allowsUserFunctions() {
    return allowUserFunctions;
  }

  /** The user-defined functions that statements planned under the opt-in reach, one line each. */
  public List<String> notes() {
    return List.copyOf(notes);
  }

  /**
   * The one statement in {@code sql} (without a trailing semicolon), if it may be planned (or run, with
   * {@code analyze}) on {@code c}.
   *
   * @throws StatementRefused when it may not, saying why in one line
   */
  public String admit(Connection c, String sql, boolean analyze) throws SQLException {
    String key = (analyze ? "A:" : "P:") + sql;
    Verdict v = verdicts.get(key);
    if (v == null) {
      v = judge(c, sql, analyze);
      verdicts.put(key, v);
    }
    if (v.refusal() != null) {
      throw new StatementRefused(v.refusal());
    }
    if (v.note() != null) {
      notes.add(v.note());
    }
    return v.statement();
  }

  private Verdict judge(Connection c, String sql, boolean analyze) throws SQLException {
    if (standardConformingStrings == null) {
      standardConformingStrings = "on".equals(Sql.one(c, "SELECT current_setting('standard_conforming_strings')", rs -> rs.getString(1)));
    }
    SqlLexer.Result lexed = SqlLexer.lex(sql, standardConformingStrings);
    if (lexed.problem() != null) {
      return refused("pgopt cannot read the statement safely: " + lexed.problem());
    }
    List<SqlLexer.Token> tokens = lexed.tokens();
    int end = tokens.size();
    for (int i = 0; i < tokens.size(); i++) {
      if (tokens.get(i).kind() == SqlLexer.Kind.SEMICOLON) {
        end = i;
        for (int j = i + 1; j < tokens.size(); j++) {
          if (tokens.get(j).kind() != SqlLexer.Kind.SEMICOLON) {
            return refused("exactly one statement, please: the text goes on after a ';' outside quotes and comments");
          }
        }
        break;
      }
    }
    if (end == 0) {
      return refused("the text holds no statement");
    }
    String statement = end == tokens.size() ? sql.strip() : sql.substring(0, tokens.get(end).start()).strip();
    String first = tokens.get(0).kind() == SqlLexer.Kind.IDENTIFIER ? tokens.get(0).text() : "";
    if (analyze ? !SqlText.startsAsQuery(statement) : !PlanCollector.plannable(statement)) {
      return refused(analyze
          ? "it would run (explain --analyze, advise --prove, bench), so only SELECT, WITH, VALUES and TABLE are accepted,"
              + " not '" + shown(first, tokens) + "'"
          : "only SELECT, WITH, VALUES, TABLE, INSERT, UPDATE, DELETE and MERGE can be planned, not '" + shown(first, tokens) + "'");
    }
    FunctionCatalog catalog = catalogs.get(analyze);
    if (catalog == null) {
      catalog = FunctionCatalog.load(c, analyze);
      catalogs.put(analyze, catalog);
    }
    List<FunctionCatalog.Function> reached = new ArrayList<>();
    Map<String, String> via = new HashMap<>();
    for (SqlLexer.Token t : tokens.subList(0, end)) {
      if (t.kind() == SqlLexer.Kind.IDENTIFIER) {
        reached.addAll(catalog.named(t.text()));
        for (FunctionCatalog.Function f : catalog.behind(t.text())) {
          reached.add(f);
          via.putIfAbsent(f.display(), t.text());
        }
      } else if (t.kind() == SqlLexer.Kind.OPERATOR) {
        for (FunctionCatalog.Function f : catalog.operators(t.text())) {
          reached.add(f);
          via.putIfAbsent(f.display(), "operator " + t.text());
        }
      }
    }
    List<FunctionCatalog.Function> distinct = FunctionCatalog.distinct(reached);
    if (distinct.isEmpty()) {
      return new Verdict(statement, null, null);
    }
    String names = distinct.stream().map(f -> f.display() + (via.containsKey(f.display()) ? " (through " + via.get(f.display()) + ")" : ""))
        .collect(Collectors.joining(", "));
    if (analyze) {
      return refused("running it may call " + names + ", which pgopt does not know to be free of side effects, so pgopt"
          + " does not run it (explain without --analyze shows its estimated plan)");
    }
    boolean onlyUser = distinct.stream().allMatch(FunctionCatalog.Function::userDefined);
    if (onlyUser && allowUserFunctions) {
      return new Verdict(statement, null, "planned a statement that may call the user-defined function(s) " + names
          + " while planning (allowed by the user-functions opt-in)");
    }
    if (onlyUser) {
      return refused("planning it may run the user-defined function(s) " + names + " with pgopt's role (PostgreSQL "
          + "evaluates IMMUTABLE and STABLE calls while planning); allow it with --allow-user-functions (allow_user_functions "
          + "for a monitored target) if you trust them");
    }
    return refused("planning it may run " + names + ", which runs SQL of its own");
  }

  private static String shown(String first, List<SqlLexer.Token> tokens) {
    return first.isEmpty() ? tokens.get(0).text() : first.toUpperCase(Locale.ROOT);
  }

  private static Verdict refused(String why) {
    return new Verdict(null, why, null);
  }
}
