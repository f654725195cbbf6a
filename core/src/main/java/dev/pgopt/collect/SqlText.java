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

  /** The statement's first keyword in lower case, after comments and parentheses; empty when it has none. */
  public static String firstWord(String sql) {
    List<SqlLexer.Token> tokens = SqlLexer.lex(sql, true).tokens();
    return !tokens.isEmpty() && tokens.get(0).kind() == SqlLexer.Kind.IDENTIFIER ? tokens.get(0).text() : "";
  }
}
