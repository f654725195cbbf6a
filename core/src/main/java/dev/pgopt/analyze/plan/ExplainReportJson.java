package dev.pgopt.analyze.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pgopt.collect.PlanCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The versioned JSON form of {@code pgopt explain} (docs/explain-report.md). */
public final class ExplainReportJson {
  public static final int VERSION = 1;
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ExplainReportJson() {}

  public static String write(PlanCollector.Explained e, List<PlanInsight> insights, String target) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("version", VERSION);
    root.put("target", target);
    root.put("query", e.sql());
    root.put("parameters", e.parameters());
    root.put("generic_plan", e.generic());
    root.put("analyzed", e.analyzed());
    root.put("insights", insights.stream().map(i -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("rule", i.rule());
      m.put("node", i.node());
      m.put("message", i.message());
      m.put("numbers", i.numbers());
      m.put("suggestion", i.suggestion());
      return m;
    }).toList());
    root.put("plan", e.json());
    try {
      return MAPPER.writeValueAsString(root);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("cannot serialize the explain report", ex);
    }
  }
}
