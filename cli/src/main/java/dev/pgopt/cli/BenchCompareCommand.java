package dev.pgopt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgopt.analyze.health.Units;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Compares two `pgopt bench --format json` reports (before and after a change), overall and per statement.",
        "With --repeat runs on both sides, a change counts as real only when the ranges of the runs do not overlap; "
            + "from single runs, a change is reported as likely when it exceeds 20 %, this machine class's run-to-run "
            + "spread (docs/benchmarks/bench.md), and as within noise otherwise."},
    footer = {"", "Exit codes: 0 done, 64 usage error or unreadable report."})
public final class BenchCompareCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Run-to-run spread of a single run's percentiles measured on 2 shared cores (docs/benchmarks/bench.md). */
  static final double SINGLE_RUN_NOISE = 0.20;
  // a report with 20 runs of 500 statements is about 2 MB
  private static final long MAX_REPORT_BYTES = 64L * 1024 * 1024;

  private final Context ctx;

  @Parameters(index = "0", paramLabel = "BEFORE", description = "The report before the change.")
  Path before;

  @Parameters(index = "1", paramLabel = "AFTER", description = "The report after it.")
  Path after;

  @Option(names = "--format", defaultValue = "human", description = "human (default) or json.")
  String format;

  public BenchCompareCommand(Context ctx) {
    this.ctx = ctx;
  }

  /** One measure before and after: every run's value, and what can be said of the difference. */
  record Change(String what, List<Double> before, List<Double> after, double ratio, String verdict) {}

  /** One statement's p95 before and after (runs in which it was not answered at all are left out). */
  record StatementChange(String queryId, String query, Change p95) {}

  /** The overall latency percentiles and achieved rate, and each statement's p95, before and after. */
  record Comparison(String before, String after, List<Change> overall, List<StatementChange> statements,
      List<String> onlyBefore, List<String> onlyAfter) {}

  @Override
  public Integer call() {
    OutputFormat.check(format);
    List<JsonNode> a = runs(before);
    List<JsonNode> b = runs(after);
    List<Change> overall = new ArrayList<>();
    for (String p : List.of("p50", "p95", "p99")) {
      overall.add(change("latency " + p, values(a, r -> r.path("latency").path(p)), values(b, r -> r.path("latency").path(p))));
    }
    overall.add(change("achieved rate", values(a, r -> r.path("achieved_rate")), values(b, r -> r.path("achieved_rate"))));
    List<StatementChange> statements = new ArrayList<>();
    List<String> onlyBefore = new ArrayList<>();
    Map<String, String> queries = new LinkedHashMap<>();
    for (JsonNode s : a.get(0).path("statements")) {
      queries.put(s.path("query_id").asText(), s.path("query").asText());
    }
    List<String> onlyAfter = new ArrayList<>();
    for (JsonNode s : b.get(0).path("statements")) {
      if (!queries.containsKey(s.path("query_id").asText()) && !queries.containsValue(s.path("query").asText())) {
        onlyAfter.add(s.path("query").asText());
      }
    }
    queries.forEach((id, query) -> {
      List<Double> x = values(a, r -> answered(statement(r, id, query)).path("latency").path("p95"));
      List<Double> y = values(b, r -> answered(statement(r, id, query)).path("latency").path("p95"));
      if (values(b, r -> statement(r, id, query).path("completed")).isEmpty()) {
        onlyBefore.add(query);
      } else if (!x.isEmpty() && !y.isEmpty()) {
        statements.add(new StatementChange(id, query, change("p95", x, y)));
      }
    });
    Comparison c = new Comparison(before.toString(), after.toString(), overall, statements, onlyBefore, onlyAfter);
    if (format.equals("json")) {
      try {
        ctx.out().println(JSON.copy().setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
            .writerWithDefaultPrettyPrinter().writeValueAsString(c));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    } else {
      human(c, a.size(), b.size());
    }
    return ExitCode.OK;
  }

  private void human(Comparison c, int runsBefore, int runsAfter) {
    var out = ctx.out();
    out.printf(Locale.ROOT, "before: %s (%d run%s)   after: %s (%d run%s)%n", c.before(), runsBefore, runsBefore == 1 ? "" : "s",
        c.after(), runsAfter, runsAfter == 1 ? "" : "s");
    for (Change ch : c.overall()) {
      out.printf(Locale.ROOT, "  %-14s %12s -> %-12s %6s  %s%n", ch.what(), range(ch.before()), range(ch.after()),
          percent(ch.ratio()), ch.verdict());
    }
    out.println();
    out.println("  p95 per statement:");
    c.statements().forEach(sc -> out.printf(Locale.ROOT, "  %12s -> %-12s %6s  %-36s %s%n", range(sc.p95().before()),
        range(sc.p95().after()), percent(sc.p95().ratio()), sc.p95().verdict(), Units.truncate(sc.query(), 60)));
    c.onlyBefore().forEach(q -> out.println("  only before: " + Units.truncate(q, 80)));
    c.onlyAfter().forEach(q -> out.println("  only after: " + Units.truncate(q, 80)));
    if (runsBefore == 1 || runsAfter == 1) {
      out.println();
      out.println("Single runs: repeat them (pgopt bench --repeat 5) to tell a real change from noise.");
    }
  }

  static Change change(String what, List<Double> before, List<Double> after) {
    double b = median(before);
    double a = median(after);
    double ratio = b == 0 ? Double.NaN : a / b;
    String verdict;
    if (before.size() > 1 && after.size() > 1) {
      double bMin = before.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
      double bMax = before.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
      double aMin = after.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
      double aMax = after.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
      verdict = aMax < bMin ? "lower in every run" : aMin > bMax ? "higher in every run" : "runs overlap: no clear change";
    } else if (Double.isNaN(ratio)) {
      verdict = "no value before";
    } else {
      verdict = Math.abs(ratio - 1) > SINGLE_RUN_NOISE ? (ratio < 1 ? "likely lower" : "likely higher") + " (single runs)"
          : "within single-run noise";
    }
    return new Change(what, before, after, ratio, verdict);
  }

  private List<JsonNode> runs(Path file) {
    JsonNode root;
    try {
      if (Files.size(file) > MAX_REPORT_BYTES) {
        throw new CliFailure(ExitCode.USAGE, file + ": " + Files.size(file) + " bytes is not a pgopt bench report (they stay"
            + " under a few MB; the limit is " + MAX_REPORT_BYTES + ")");
      }
      root = JSON.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new CliFailure(ExitCode.USAGE, file + ": no such file");
    } catch (IOException e) {
      throw new CliFailure(ExitCode.USAGE, file + ": not a pgopt bench JSON report (" + e.getMessage().lines().findFirst().orElse("") + ")");
    }
    List<JsonNode> out = new ArrayList<>();
    JsonNode runs = root == null ? null : root.path("runs");
    if (runs instanceof ArrayNode arr && !arr.isEmpty()) {
      arr.forEach(out::add);
    } else if (root instanceof ObjectNode o && o.path("result").isObject()) {
      out.add(o.path("result"));
    }
    if (out.isEmpty() || !out.get(0).path("latency").isObject() || !out.get(0).path("statements").isArray()) {
      throw new CliFailure(ExitCode.USAGE, file + ": not a pgopt bench JSON report (no result with latency and statements);"
          + " write one with pgopt bench --format json");
    }
    return out;
  }

  /** The statement, or nothing when it was not answered in that run (its percentiles would read 0). */
  private static JsonNode answered(JsonNode statement) {
    return statement.path("completed").asLong() > 0 ? statement : com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  /**
   * The statement by queryid, else by text: the same statement can be recorded under another queryid after the change
   * (pg_stat_statements jumbles parameter types, and a replay's differ from the application's).
   */
  private static JsonNode statement(JsonNode run, String queryId, String query) {
    JsonNode byText = null;
    for (JsonNode s : run.path("statements")) {
      if (s.path("query_id").asText().equals(queryId)) {
        return s;
      }
      if (byText == null && s.path("query").asText().equals(query)) {
        byText = s;
      }
    }
    return byText != null ? byText : com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  private static List<Double> values(List<JsonNode> runs, java.util.function.Function<JsonNode, JsonNode> field) {
    List<Double> out = new ArrayList<>();
    for (JsonNode r : runs) {
      JsonNode v = field.apply(r);
      if (v.isNumber()) {
        out.add(v.asDouble());
      }
    }
    return out;
  }

  private static double median(List<Double> v) {
    if (v.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = v.stream().sorted().toList();
    return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
  }

  private static String range(List<Double> v) {
    if (v.isEmpty()) {
      return "-";
    }
    double min = v.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    double max = v.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    return v.size() == 1 || min == max ? number(min) : number(min) + "–" + number(max);
  }

  private static String number(double v) {
    return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String percent(double ratio) {
    return Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%+.0f%%", 100 * (ratio - 1));
  }
}
