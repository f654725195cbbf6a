package dev.pgopt.collect;

import dev.pgopt.collect.internal.SqlLexer;
import java.util.List;
import java.util.Set;

/**
 * The little pgopt needs to know about a statement's text without parsing SQL: the highest {@code $n} parameter and
 * whether it reads. Read with {@link SqlLexer}, so literals, quoted identifiers, dollar quotes and comments never count.
 */
public final class SqlText {
  private static final Set<String> QUERY_KEYWORDS = Set.of("select", "with", "values", "table");

  private SqlText() {}

  /** The highest parameter number in the text, 0 when there is none. */
  public static int maxParameter(String sql) {
    int max = 0;
    for (SqlLexer.Token t : SqlLexer.lex(sql, true).tokens()) {
      if (t.kind() == SqlLexer.Kind.PARAMETER) {
        max = Math.max(max, Integer.parseInt(t.text().substring(1, Math.min(t.text().length(), 6))));
      }
    }
    return max;
  }

  private static final java.util.regex.Pattern TYPED_PLACEHOLDER = java.util.regex.Pattern.compile(
      "(?i)\\b(interval|timestamptz|timestamp|date|time|numeric|bigint|integer|int|text|json|jsonb|uuid|inet)\\s+\\$(\\d+)");
  // interval '90' day (3) to second: pg_stat_statements keeps the qualifier after the placeholder
  private static final java.util.regex.Pattern INTERVAL_QUALIFIER = java.util.regex.Pattern.compile(
      "(?i)\\binterval\\s+\\$(\\d+)(\\s+(year|month|day|hour|minute|second)(\\s*\\(\\s*\\d+\\s*\\))?"
          + "(\\s+to\\s+(month|hour|minute|second)(\\s*\\(\\s*\\d+\\s*\\))?)?)?");
  private static final Set<String> ARITHMETIC = Set.of("+", "-", "*", "/", "%", "^");

  /**
   * The statement with {@code LIMIT $n} replaced by {@code LIMIT rows}: a generic plan does not know the LIMIT and
   * costs as if a tenth of the rows were wanted, which hides what an index that returns rows in ORDER BY order saves
   * for {@code WHERE k = $1 ORDER BY t DESC LIMIT 50}. The other parameters stay; the replaced one is declared unused.
   */
  public static String withTypicalLimit(String sql, long rows) {
    List<SqlLexer.Token> tokens = SqlLexer.lex(sql, true).tokens();
    StringBuilder out = new StringBuilder(sql.length());
    int copied = 0;
    for (int i = 0; i + 1 < tokens.size(); i++) {
      if (tokens.get(i).kind() == SqlLexer.Kind.IDENTIFIER && tokens.get(i).text().equals("limit")
          && tokens.get(i + 1).kind() == SqlLexer.Kind.PARAMETER
          && sql.substring(tokens.get(i).end(), tokens.get(i + 1).start()).isBlank()) {
        out.append(sql, copied, tokens.get(i + 1).start()).append(rows);
        copied = tokens.get(i + 1).end();
      }
    }
    return out.append(sql.substring(copied)).toString();
  }

  /**
   * A statement as pgopt plans it: pg_stat_statements text made plannable, and the type to declare for each parameter
   * (null: let PostgreSQL infer it).
   *
   * @param types by parameter number - 1; as long as the original text's highest parameter
   */
  public record Planning(String sql, String[] types) {
    /** Whether any parameter needs a declared type (generic plans then go through PREPARE with a type list). */
    public boolean declares() {
      for (String t : types) {
        if (t != null) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * Makes pg_stat_statements text plannable, as far as the text allows. It stores constants as {@code $n} even where
   * PostgreSQL requires a literal: {@code extract($1 from d)} (the field; any field plans the same, so {@code epoch},
   * valid for every type) and {@code interval $2 day} (a cast to interval means the same). A parameter that so
   * disappears is declared {@code text}. {@code typing} 0 leaves every other type to inference; 1 declares parameters
   * next to an arithmetic operator or after THEN/ELSE {@code numeric} ({@code $1 + $2 % $3} and {@code sum(CASE WHEN ..
   * THEN $1 ELSE $2 END)} are otherwise ambiguous: unknown % unknown, sum(text)); 2 also declares every parameter
   * without a cast {@code numeric} ({@code generate_series($1, $2)}). Each is a retry after the one before failed.
   */
  public static Planning forPlanning(String sql, int typing) {
    int max = maxParameter(sql);
    StringBuilder out = new StringBuilder(sql.length());
    List<SqlLexer.Token> tokens = SqlLexer.lex(sql, true).tokens();
    int copied = 0;
    Set<Integer> dropped = new java.util.HashSet<>();
    for (int i = 0; i + 2 < tokens.size(); i++) {
      SqlLexer.Token f = tokens.get(i);
      SqlLexer.Token p = tokens.get(i + 1);
      SqlLexer.Token from = tokens.get(i + 2);
      if (f.kind() == SqlLexer.Kind.IDENTIFIER && f.text().equals("extract") && p.kind() == SqlLexer.Kind.PARAMETER
          && from.kind() == SqlLexer.Kind.IDENTIFIER && from.text().equals("from")
          && sql.substring(f.end(), p.start()).strip().equals("(")) {
        out.append(sql, copied, p.start()).append("epoch");
        copied = p.end();
        dropped.add(Integer.parseInt(p.text().substring(1)));
      }
    }
    out.append(sql.substring(copied));
    String text = INTERVAL_QUALIFIER.matcher(out.toString()).replaceAll("\\$$1::interval");
    text = typedPlaceholdersAsCasts(text);
    String[] types = new String[max];
    for (int n : dropped) {
      if (n >= 1 && n <= max) {
        types[n - 1] = "text";
      }
    }
    // a parameter the text no longer mentions (rewritten above, or by withTypicalLimit) needs a declared type
    boolean[] present = new boolean[max + 1];
    for (SqlLexer.Token tk : SqlLexer.lex(text, true).tokens()) {
      if (tk.kind() == SqlLexer.Kind.PARAMETER) {
        int n = Integer.parseInt(tk.text().substring(1, Math.min(tk.text().length(), 6)));
        if (n <= max) {
          present[n] = true;
        }
      }
    }
    for (int n = 1; n <= max; n++) {
      if (!present[n] && types[n - 1] == null) {
        types[n - 1] = "text";
      }
    }
    if (typing > 0) {
      List<SqlLexer.Token> t = SqlLexer.lex(text, true).tokens();
      for (int i = 0; i < t.size(); i++) {
        if (t.get(i).kind() != SqlLexer.Kind.PARAMETER) {
          continue;
        }
        int n = Integer.parseInt(t.get(i).text().substring(1));
        boolean castAfter = text.startsWith("::", t.get(i).end());
        boolean numeric = !castAfter && ((i > 0 && (ARITHMETIC.contains(t.get(i - 1).text())
            || t.get(i - 1).text().equals("then") || t.get(i - 1).text().equals("else")))
            || (i + 1 < t.size() && ARITHMETIC.contains(t.get(i + 1).text())));
        if ((numeric || (typing > 1 && !castAfter)) && n >= 1 && n <= max && types[n - 1] == null) {
          types[n - 1] = "numeric";
        }
      }
    }
    return new Planning(text, types);
  }

  /**
   * pg_stat_statements turns typed literals ({@code interval '30 days'}) into {@code interval $2}, which does not
   * parse; {@code $2::interval} does and means the same.
   */
  public static String typedPlaceholdersAsCasts(String sql) {
    return TYPED_PLACEHOLDER.matcher(sql).replaceAll("\\$$2::$1");
  }

  /** Whether the statement starts with SELECT, WITH, VALUES or TABLE, after comments and parentheses. */
  public static boolean startsAsQuery(String sql) {
    return QUERY_KEYWORDS.contains(firstWord(sql));
  }

  /**
   * Why {@code sql} is not exactly one statement, or null when it is: text after a ';' outside quotes and comments
   * (pgjdbc would send each part), or text the lexer cannot read safely. A trailing ';' is allowed.
   */
  public static String notOneStatement(String sql) {
    SqlLexer.Result lexed = SqlLexer.lex(sql, true);
    if (lexed.problem() != null) {
      return "pgopt cannot read the statement safely: " + lexed.problem();
    }
    List<SqlLexer.Token> tokens = lexed.tokens();
    for (int i = 0; i < tokens.size(); i++) {
      if (tokens.get(i).kind() == SqlLexer.Kind.SEMICOLON) {
        for (int j = i + 1; j < tokens.size(); j++) {
          if (tokens.get(j).kind() != SqlLexer.Kind.SEMICOLON) {
            return "more than one statement: the text goes on after a ';' outside quotes and comments";
          }
        }
        return null;
      }
    }
    return null;
  }

  /** A pgbench-style {@code :name} variable: where it is in the text (the colon included) and its name as written. */
  public record Variable(int start, int end, String name) {}

  /**
   * The {@code :name} variables of a script's statement, in order: only outside literals, quoted names, comments and
   * dollar quotes ({@code ::type} is a cast, {@code ":x"} a name).
   *
   * @throws IllegalArgumentException when the text cannot be read safely, or uses {@code ?} as an operator (a jsonb
   *     operator JDBC would take for a placeholder)
   */
  public static List<Variable> colonVariables(String sql) {
    SqlLexer.Result lexed = SqlLexer.lex(sql, true);
    if (lexed.problem() != null) {
      throw new IllegalArgumentException("pgopt cannot read the statement safely: " + lexed.problem());
    }
    List<Variable> out = new java.util.ArrayList<>();
    for (SqlLexer.Token t : lexed.tokens()) {
      if (t.kind() == SqlLexer.Kind.OPERATOR && t.text().indexOf('?') >= 0) {
        throw new IllegalArgumentException("'?' (a jsonb operator) would be taken by JDBC for a placeholder");
      }
      boolean colon = t.start() > 0 && sql.charAt(t.start() - 1) == ':' && (t.start() < 2 || sql.charAt(t.start() - 2) != ':');
      if (t.kind() == SqlLexer.Kind.IDENTIFIER && colon && sql.charAt(t.start()) != '"') {
        out.add(new Variable(t.start() - 1, t.end(), sql.substring(t.start(), t.end())));
      }
    }
    return out;
  }

  /** The statement's first keyword in lower case, after comments and parentheses; empty when it has none. */
  public static String firstWord(String sql) {
    List<SqlLexer.Token> tokens = SqlLexer.lex(sql, true).tokens();
    return !tokens.isEmpty() && tokens.get(0).kind() == SqlLexer.Kind.IDENTIFIER ? tokens.get(0).text() : "";
  }
}
