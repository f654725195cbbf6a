package dev.pgopt.load.internal;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * A pg_stat_statements text in the form JDBC runs: its placeholders as {@code ?} in order, each bound per call from
 * its generator (the same value for every occurrence of one {@code $n}), sent untyped so the server infers the type
 * from the column, as it did for the application.
 *
 * @param jdbcSql the text with {@code ?} placeholders
 * @param placeholders for each {@code ?}, in order, the {@code $n} it stands for
 * @param generators by {@code $n}
 * @param values for a pgbench-style script (its {@code \set} variables, evaluated per call) or a statement given with
 *     its own values (the sample workload's): each call's values, one per {@code ?}; null for a statement of the
 *     workload, whose values come from {@code generators}
 */
public record StatementTemplate(String jdbcSql, List<Integer> placeholders, Map<Integer, ValueGenerator> generators,
    Function<RandomGenerator, String[]> values) {

  public StatementTemplate(String jdbcSql, List<Integer> placeholders, Map<Integer, ValueGenerator> generators) {
    this(jdbcSql, placeholders, generators, null);
  }

  /** Where one {@code $n}'s values come from. */
  public sealed interface ValueGenerator {
    String next(RandomGenerator random);

    /** The same value every call: a LIMIT's typical row count, an offset, a neutral operand. */
    record Fixed(String value) implements ValueGenerator {
      @Override
      public String next(RandomGenerator random) {
        return value;
      }
    }

    /** Values of the column the parameter is compared with, as often as its statistics say they occur. */
    record FromColumn(ValueDistribution distribution) implements ValueGenerator {
      @Override
      public String next(RandomGenerator random) {
        return distribution.draw(random);
      }
    }
  }

  /** One call's values, one per {@code ?} in order (the same value for each occurrence of one {@code $n}). */
  public String[] draw(RandomGenerator random) {
    if (values != null) {
      return values.apply(random);
    }
    String[] out = new String[placeholders.size()];
    Map<Integer, String> drawn = new java.util.HashMap<>();
    for (int i = 0; i < out.length; i++) {
      out[i] = drawn.computeIfAbsent(placeholders.get(i), k -> generators.get(k).next(random));
    }
    return out;
  }

  /** Binds values drawn by {@link #draw}, untyped. */
  public static void bind(PreparedStatement ps, String[] values) throws SQLException {
    for (int i = 0; i < values.length; i++) {
      ps.setObject(i + 1, values[i], Types.OTHER);
    }
  }
}
