package dev.pgopt.load.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A pgbench {@code \set} expression, integers only: literals, {@code :variables}, {@code + - * / %}, parentheses,
 * {@code random(lo, hi)}, {@code random_gaussian(lo, hi, parameter)}, {@code random_exponential(lo, hi, parameter)},
 * {@code abs}, {@code least}, {@code greatest}. Parsed once; evaluated per request against the variables set so far.
 * The random functions follow pgbench's documented formulas (uniform; Gaussian cut at ±parameter standard deviations;
 * exponential with the given parameter), so a script gives the same distribution as under pgbench.
 */
public abstract sealed class ScriptExpression {
  /** Evaluates it; {@code vars} holds the variables set before it. */
  public abstract long eval(Map<String, Long> vars, RandomGenerator random);

  /** Parses {@code text}; {@code known} are the variables defined before it (others are an error). */
  public static ScriptExpression parse(String text, java.util.Set<String> known) {
    Parser p = new Parser(text, known);
    ScriptExpression e = p.sum();
    p.skipSpace();
    if (p.pos < text.length()) {
      throw new IllegalArgumentException("unexpected '" + text.substring(p.pos) + "'");
    }
    return e;
  }

  private static final class Literal extends ScriptExpression {
    private final long value;

    Literal(long value) {
      this.value = value;
    }

    @Override
    public long eval(Map<String, Long> vars, RandomGenerator random) {
      return value;
    }
  }

  private static final class Variable extends ScriptExpression {
    private final String name;

    Variable(String name) {
      this.name = name;
    }

    @Override
    public long eval(Map<String, Long> vars, RandomGenerator random) {
      return vars.get(name);
    }
  }

  private static final class Binary extends ScriptExpression {
    private final char op;
    private final ScriptExpression left;
    private final ScriptExpression right;

    Binary(char op, ScriptExpression left, ScriptExpression right) {
      this.op = op;
      this.left = left;
      this.right = right;
    }

    @Override
    public long eval(Map<String, Long> vars, RandomGenerator random) {
      long a = left.eval(vars, random);
      long b = right.eval(vars, random);
      return switch (op) {
        case '+' -> a + b;
        case '-' -> a - b;
        case '*' -> a * b;
        case '/' -> {
          if (b == 0) {
            throw new ArithmeticException("division by zero");
          }
          yield a / b;
        }
        default -> {
          if (b == 0) {
            throw new ArithmeticException("division by zero");
          }
          yield a % b;
        }
      };
    }
  }

  private static final class Call extends ScriptExpression {
    private final String function;
    private final List<ScriptExpression> args;

    Call(String function, List<ScriptExpression> args) {
      this.function = function;
      this.args = args;
    }

    @Override
    public long eval(Map<String, Long> vars, RandomGenerator random) {
      long[] a = new long[args.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = args.get(i).eval(vars, random);
      }
      return switch (function) {
        case "abs" -> Math.abs(a[0]);
        case "least" -> java.util.Arrays.stream(a).min().orElseThrow();
        case "greatest" -> java.util.Arrays.stream(a).max().orElseThrow();
        case "random" -> uniform(a[0], a[1], random);
        case "random_gaussian" -> gaussian(a[0], a[1], a[2], random);
        default -> exponential(a[0], a[1], a[2], random);
      };
    }
  }

  static long uniform(long lo, long hi, RandomGenerator random) {
    if (hi < lo) {
      throw new IllegalArgumentException("random(" + lo + ", " + hi + "): the upper bound is below the lower");
    }
    return lo + random.nextLong(hi - lo + 1);
  }

  /** pgbench: a standard normal draw rejected outside ±parameter, mapped linearly onto [lo, hi]. */
  static long gaussian(long lo, long hi, double parameter, RandomGenerator random) {
    if (parameter < 2) {
      throw new IllegalArgumentException("random_gaussian: the parameter must be at least 2.0, got " + parameter);
    }
    double stdev;
    do {
      stdev = random.nextGaussian();
    } while (stdev < -parameter || stdev >= parameter);
    double rand = (stdev + parameter) / (parameter * 2.0);
    return lo + (long) ((hi - lo + 1) * rand);
  }

  /** pgbench: -ln(cut + (1 - cut) * u) / parameter with cut = exp(-parameter), mapped onto [lo, hi]. */
  static long exponential(long lo, long hi, double parameter, RandomGenerator random) {
    if (parameter <= 0) {
      throw new IllegalArgumentException("random_exponential: the parameter must be greater than 0, got " + parameter);
    }
    double cut = Math.exp(-parameter);
    double u = 1.0 - random.nextDouble();
    double rand = -Math.log(cut + (1.0 - cut) * u) / parameter;
    return lo + (long) ((hi - lo + 1) * rand);
  }

  private static final class Parser {
    private static final Map<String, Integer> ARITY = Map.of("abs", 1, "random", 2, "random_gaussian", 3,
        "random_exponential", 3);
    /** Deeper nesting is not an expression anyone writes, and would exhaust the parser's stack. */
    private static final int MAX_DEPTH = 64;
    /** Operators and calls per expression: evaluation recurses through them. */
    private static final int MAX_NODES = 1000;
    private int nodes;
    private final String s;
    private final java.util.Set<String> known;
    int pos;
    private int depth;

    Parser(String s, java.util.Set<String> known) {
      this.s = s;
      this.known = known;
    }

    void skipSpace() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
        pos++;
      }
    }

    boolean eat(char c) {
      skipSpace();
      if (pos < s.length() && s.charAt(pos) == c) {
        pos++;
        return true;
      }
      return false;
    }

    private <T extends ScriptExpression> T node(T e) {
      if (++nodes > MAX_NODES) {
        throw new IllegalArgumentException("more than " + MAX_NODES + " operators and calls in one expression");
      }
      return e;
    }

    ScriptExpression sum() {
      ScriptExpression e = product();
      while (true) {
        if (eat('+')) {
          e = node(new Binary('+', e, product()));
        } else if (eat('-')) {
          e = node(new Binary('-', e, product()));
        } else {
          return e;
        }
      }
    }

    ScriptExpression product() {
      ScriptExpression e = unary();
      while (true) {
        if (eat('*')) {
          e = node(new Binary('*', e, unary()));
        } else if (eat('/')) {
          e = node(new Binary('/', e, unary()));
        } else if (eat('%')) {
          e = node(new Binary('%', e, unary()));
        } else {
          return e;
        }
      }
    }

    ScriptExpression unary() {
      int minus = 0;
      while (eat('-')) {
        minus++;
      }
      ScriptExpression e = primary();
      // - - x is x: a run of signs is counted, not recursed into
      return minus % 2 == 0 ? e : node(new Binary('-', new Literal(0), e));
    }

    ScriptExpression primary() {
      if (++depth > MAX_DEPTH) {
        throw new IllegalArgumentException("nested deeper than " + MAX_DEPTH + " levels");
      }
      try {
        return primaryAtDepth();
      } finally {
        depth--;
      }
    }

    private ScriptExpression primaryAtDepth() {
      skipSpace();
      if (pos >= s.length()) {
        throw new IllegalArgumentException("the expression ends too early");
      }
      char c = s.charAt(pos);
      if (eat('(')) {
        ScriptExpression e = sum();
        if (!eat(')')) {
          throw new IllegalArgumentException("a ')' is missing");
        }
        return e;
      }
      if (Character.isDigit(c)) {
        int start = pos;
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
          pos++;
        }
        if (pos < s.length() && (s.charAt(pos) == '.' || s.charAt(pos) == 'e')) {
          throw new IllegalArgumentException("only integers are supported, not " + s.substring(start));
        }
        try {
          return new Literal(Long.parseLong(s.substring(start, pos)));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(s.substring(start, pos) + " is out of the 64-bit integer range");
        }
      }
      if (c == ':') {
        pos++;
        String name = word();
        if (!known.contains(name)) {
          throw new IllegalArgumentException("variable :" + name + " is not set before (set it with \\set, or --define "
              + name + "=VALUE)");
        }
        return new Variable(name);
      }
      if (Character.isLetter(c)) {
        String name = word().toLowerCase(java.util.Locale.ROOT);
        if (!eat('(')) {
          throw new IllegalArgumentException("'" + name + "' is not a function call (variables are written :" + name + ")");
        }
        List<ScriptExpression> args = new ArrayList<>();
        if (!eat(')')) {
          do {
            args.add(sum());
          } while (eat(','));
          if (!eat(')')) {
            throw new IllegalArgumentException("a ')' is missing after the arguments of " + name);
          }
        }
        boolean variadic = name.equals("least") || name.equals("greatest");
        if (!variadic && !ARITY.containsKey(name)) {
          throw new IllegalArgumentException("function " + name + " is not supported (supported: random, random_gaussian,"
              + " random_exponential, abs, least, greatest)");
        }
        if (variadic ? args.isEmpty() : args.size() != ARITY.get(name)) {
          throw new IllegalArgumentException(name + " takes " + (variadic ? "at least 1" : ARITY.get(name)) + " arguments, got "
              + args.size());
        }
        return node(new Call(name, args));
      }
      throw new IllegalArgumentException("unexpected '" + s.substring(pos) + "'");
    }

    String word() {
      int start = pos;
      while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
        pos++;
      }
      if (start == pos) {
        throw new IllegalArgumentException("a name is missing at '" + s.substring(start) + "'");
      }
      return s.substring(start, pos);
    }
  }
}
