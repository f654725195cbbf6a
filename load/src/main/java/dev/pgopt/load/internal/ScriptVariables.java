package dev.pgopt.load.internal;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A script's variables: the {@code --define}d ones, then each {@code \set} in order (a later one may read an earlier
 * one), evaluated once per call; the statement's {@code ?}s are bound from them, sent untyped like pgbench's.
 *
 * @param defined values given on the command line
 * @param sets the {@code \set}s, in the script's order
 * @param placeholders for each {@code ?}, the variable it stands for
 */
public record ScriptVariables(Map<String, Long> defined, List<Set> sets, List<String> placeholders) {
  /** One {@code \set name expression}. */
  public record Set(String name, ScriptExpression expression) {}

  public ScriptVariables {
    defined = Map.copyOf(defined);
    sets = List.copyOf(sets);
    placeholders = List.copyOf(placeholders);
  }

  Map<String, Long> evaluate(RandomGenerator random) {
    Map<String, Long> vars = new HashMap<>(defined);
    for (Set s : sets) {
      vars.put(s.name(), s.expression().eval(vars, random));
    }
    return vars;
  }

  void bind(PreparedStatement ps, RandomGenerator random) throws SQLException {
    Map<String, Long> vars = evaluate(random);
    for (int i = 0; i < placeholders.size(); i++) {
      ps.setObject(i + 1, Long.toString(vars.get(placeholders.get(i))), Types.OTHER);
    }
  }
}
