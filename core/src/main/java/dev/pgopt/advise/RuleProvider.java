package dev.pgopt.advise;

import java.util.List;

/**
 * The plug-in point for more rules in the same advise run (the vector capability adds {@code vector.*} this way):
 * implementations are found with {@link java.util.ServiceLoader}.
 */
public interface RuleProvider {
  List<Rule> rules();
}
