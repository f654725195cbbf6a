package dev.pgopt.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.load.internal.ScriptExpression;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BenchScriptTest {
  private static long[] draw(String expression, int n) {
    ScriptExpression e = ScriptExpression.parse(expression, Set.of("n"));
    SplittableRandom random = new SplittableRandom(5);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = e.eval(Map.of("n", 10L), random);
    }
    return out;
  }

  @Test
  void randomFunctionsStayInTheirBoundsWithPgbenchsShapes() {
    long[] uniform = draw("random(1, :n)", 20_000);
    Map<Long, Integer> counts = new HashMap<>();
    for (long v : uniform) {
      counts.merge(v, 1, Integer::sum);
    }
    assertThat(counts.keySet()).containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    // chi-square against uniform, 9 degrees of freedom: 21.7 is the 1 % critical value
    double chi = counts.values().stream().mapToDouble(c -> Math.pow(c - 2000, 2) / 2000).sum();
    assertThat(chi).isLessThan(21.7);

    long[] gaussian = draw("random_gaussian(1, 100, 2)", 20_000);
    assertThat(java.util.Arrays.stream(gaussian).allMatch(v -> v >= 1 && v <= 100)).isTrue();
    double gaussianMean = java.util.Arrays.stream(gaussian).average().orElseThrow();
    assertThat(gaussianMean).isBetween(49.0, 52.0);
    long middle = java.util.Arrays.stream(gaussian).filter(v -> v > 25 && v <= 75).count();
    assertThat(middle).as("two standard deviations wide: ±1 holds about 68 %").isBetween(13_000L, 14_500L);

    long[] exponential = draw("random_exponential(1, 100, 5)", 20_000);
    assertThat(java.util.Arrays.stream(exponential).allMatch(v -> v >= 1 && v <= 100)).isTrue();
    assertThat(java.util.Arrays.stream(exponential).filter(v -> v <= 20).count()).as("1 - e^-1 of the draws in the first fifth")
        .isBetween(12_000L, 13_500L);
  }

  @Test
  void arithmeticFollowsPrecedenceAndNamesItsErrors() {
    assertThat(draw("2 + 3 * (4 - 1) % 5 - -1", 1)[0]).isEqualTo(7);
    assertThat(draw("least(:n, 3, 8) + greatest(1, :n) + abs(-4)", 1)[0]).isEqualTo(17);
    assertThatThrownBy(() -> draw("10 / (:n - 10)", 1)).hasMessageContaining("division by zero");
    assertThatThrownBy(() -> ScriptExpression.parse("random(1)", Set.of())).hasMessageContaining("random takes 2 arguments");
    assertThatThrownBy(() -> ScriptExpression.parse("random(5, :x)", Set.of())).hasMessageContaining("variable :x is not set");
    assertThatThrownBy(() -> ScriptExpression.parse("99999999999999999999", Set.of())).hasMessageContaining("64-bit");
    assertThatThrownBy(() -> ScriptExpression.parse("1 +", Set.of())).hasMessageContaining("ends too early");
    // hostile: a megabyte of parentheses is one line of error, not a stack overflow
    assertThatThrownBy(() -> ScriptExpression.parse("(".repeat(1 << 20) + "1", Set.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nested deeper than 64");
    assertThat(draw("-" + "-".repeat(99_999) + "5", 1)[0]).isEqualTo(5);
    assertThat(draw("2 " + "+ 1 ".repeat(999), 1)[0]).isEqualTo(1_001);
    assertThatThrownBy(() -> ScriptExpression.parse("2 " + "+ 1 ".repeat(50_000), Set.of()))
        .hasMessageContaining("more than 1000 operators and calls");
  }

  @Test
  void aScriptBindsItsVariablesAndLeavesCastsAndStringsAlone() {
    BenchScript s = BenchScript.parse("s.sql", 2, "\\set a random(1, 5)\n\\set b :a * 2\n"
        + "SELECT :a::int, ':b', \"x:y\" FROM t\n  WHERE b = :b;", Map.of());
    assertThat(s.sql()).isEqualTo("SELECT :a::int, ':b', \"x:y\" FROM t\n  WHERE b = :b");
    assertThat(WorkloadMix.fromScripts(java.util.List.of(s)).statements().get(0).jdbcSql())
        .isEqualTo("SELECT ?::int, ':b', \"x:y\" FROM t\n  WHERE b = ?");
    assertThatThrownBy(() -> BenchScript.parse("s.sql", 0, "SELECT 1;", Map.of())).hasMessageContaining("weight must be a positive");
    assertThatThrownBy(() -> BenchScript.parse("s.sql", 1, "SELECT 'open;", Map.of())).hasMessageContaining("s.sql:1:")
        .hasMessageContaining("a string literal is not closed");
    // comments, dollar quotes and escape strings keep their colons and question marks: only :b outside them binds
    BenchScript hidden = BenchScript.parse("h.sql", 1, "\\set b 1\nSELECT /* :nope ? */ $q$ :nope ? $q$, E'\\' :nope', x -- :nope ?\n"
        + "  FROM t WHERE b = :b;", Map.of());
    assertThat(WorkloadMix.fromScripts(java.util.List.of(hidden)).statements().get(0).jdbcSql())
        .isEqualTo("SELECT /* :nope ? */ $q$ :nope ? $q$, E'\\' :nope', x -- :nope ?\n  FROM t WHERE b = ?");
    assertThatThrownBy(() -> BenchScript.parse("j.sql", 1, "SELECT 1 FROM t WHERE doc ? 'k';", Map.of()))
        .hasMessageContaining("j.sql:1: '?' (a jsonb operator)");
    assertThatThrownBy(() -> BenchScript.parse("c.sql", 1, "SELECT 1 /* never closed :x", Map.of()))
        .hasMessageContaining("c.sql:1:").hasMessageContaining("comment is not closed");
    assertThatThrownBy(() -> BenchScript.parse("s.sql", 1, "SELECT 1;\n\\set a 1", Map.of())).hasMessageContaining("s.sql:2: \\set after the statement");
  }
}
