package dev.pgopt.load;

import dev.pgopt.collect.SqlText;
import dev.pgopt.load.internal.ScriptExpression;
import dev.pgopt.load.internal.ScriptVariables;
import dev.pgopt.load.internal.StatementTemplate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A pgbench-style script: {@code \set name expression} lines (see {@link ScriptExpression} for what expressions may
 * use), then one read statement whose {@code :name}s are bound per call. One request runs the statement once, like
 * {@code pgbench -S}'s built-in script. What pgopt does not run is refused with the line, never skipped: other
 * meta-commands ({@code \sleep}, {@code \gset}, {@code \if}, {@code \shell}), more than one statement (pgbench's
 * multi-statement transactions), and writes unless asked for (then INSERT, UPDATE, DELETE, MERGE; never DDL).
 *
 */
public final class BenchScript {
  private final String name;
  private final double weight;
  private final String sql;
  private final StatementTemplate template;

  private BenchScript(String name, double weight, String sql, StatementTemplate template) {
    this.name = name;
    this.weight = weight;
    this.sql = sql;
    this.template = template;
  }

  /** The file name as given. */
  public String name() {
    return name;
  }

  /** Its share of requests against the other scripts. */
  public double weight() {
    return weight;
  }

  /** The statement as written, with its {@code :variables}. */
  public String sql() {
    return sql;
  }

  StatementTemplate template() {
    return template;
  }

  /** The statements a script may run with {@code --include-writes}, besides reads: row changes, never DDL. */
  private static final Set<String> WRITES = Set.of("insert", "update", "delete", "merge");

  /** Parses a read-only script; {@code defined} are the {@code --define NAME=VALUE} variables. */
  public static BenchScript parse(String name, double weight, String text, Map<String, Long> defined) {
    return parse(name, weight, text, defined, false);
  }

  /** As {@link #parse(String, double, String, Map)}; {@code writes}: INSERT, UPDATE, DELETE and MERGE are allowed too. */
  public static BenchScript parse(String name, double weight, String text, Map<String, Long> defined, boolean writes) {
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException(name + ": the weight must be a positive number, got " + weight);
    }
    List<ScriptVariables.Set> sets = new ArrayList<>();
    Set<String> known = new LinkedHashSet<>(defined.keySet());
    StringBuilder sql = new StringBuilder();
    int sqlLine = 0;
    boolean ended = false;
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      String where = name + ":" + (i + 1) + ": ";
      if (line.isEmpty() || line.startsWith("--")) {
        continue;
      }
      if (line.startsWith("\\")) {
        String[] parts = line.split("\\s+", 3);
        String command = parts[0].substring(1).toLowerCase(Locale.ROOT);
        if (!command.equals("set")) {
          throw new IllegalArgumentException(where + "\\" + command + " is not supported (only \\set; one statement per"
              + " request)");
        }
        if (parts.length < 3 || !parts[1].matches("[A-Za-z_][A-Za-z0-9_]*")) {
          throw new IllegalArgumentException(where + "\\set needs a variable name and an expression: \\set aid random(1, 100000)");
        }
        if (!sql.isEmpty()) {
          throw new IllegalArgumentException(where + "\\set after the statement: set variables before it");
        }
        try {
          sets.add(new ScriptVariables.Set(parts[1], ScriptExpression.parse(parts[2], known)));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + e.getMessage());
        }
        known.add(parts[1]);
        continue;
      }
      if (ended) {
        throw new IllegalArgumentException(where + "a second statement: a script runs one read statement per request"
            + " (pgbench's multi-statement transactions are not supported)");
      }
      if (sql.isEmpty()) {
        sqlLine = i + 1;
      }
      sql.append(sql.isEmpty() ? "" : "\n").append(lines[i]);
      if (line.endsWith(";")) {
        ended = true;
      }
    }
    String statement = sql.toString().strip().replaceFirst(";\\s*$", "");
    if (statement.isEmpty()) {
      throw new IllegalArgumentException(name + ": no SQL statement in the script");
    }
    String where = name + ":" + sqlLine + ": ";
    if (statement.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(where + "a NUL byte in the statement: not a text script");
    }
    if (!SqlText.startsAsQuery(statement) && !(writes && WRITES.contains(SqlText.firstWord(statement)))) {
      throw new IllegalArgumentException(where + (writes
          ? "only reads and INSERT, UPDATE, DELETE or MERGE run (not DDL, COPY, transaction control or settings)"
          : "not a read statement: the bench replays reads on read-only sessions (writes: --include-writes on a"
              + " database named with --disposable-database)"));
    }
    StringBuilder jdbc = new StringBuilder(statement.length());
    List<String> placeholders = new ArrayList<>();
    List<SqlText.Variable> used;
    try {
      used = SqlText.colonVariables(statement);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + e.getMessage());
    }
    int copied = 0;
    for (SqlText.Variable v : used) {
      if (!known.contains(v.name())) {
        throw new IllegalArgumentException(where + "variable :" + v.name() + " is not set (\\set it above, or --define "
            + v.name() + "=VALUE)");
      }
      placeholders.add(v.name());
      jdbc.append(statement, copied, v.start()).append('?');
      copied = v.end();
    }
    jdbc.append(statement.substring(copied));
    // two statements on one line would both be sent (pgjdbc splits on ';'): the second could be anything
    String several = SqlText.notOneStatement(statement);
    if (several != null) {
      throw new IllegalArgumentException(where + several);
    }
    ScriptVariables variables = new ScriptVariables(defined, sets, placeholders);
    return new BenchScript(name, weight, statement, new StatementTemplate(jdbc.toString(), List.of(), Map.of(), variables::draw));
  }
}
