package dev.pgopt.load.internal;

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

  /** One call's values, one per {@code ?} in order. */
  public String[] draw(RandomGenerator random) {
    Map<String, Long> vars = evaluate(random);
    String[] out = new String[placeholders.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Long.toString(vars.get(placeholders.get(i)));
    }
    return out;
  }
}
