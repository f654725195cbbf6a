package dev.pgopt.analyze.health;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The versioned JSON form of a {@link HealthReport} (schema: docs/schema/check-report.schema.json). */
public final class HealthReportJson {
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private HealthReportJson() {}

  public static Map<String, Object> tree(HealthReport r) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("version", HealthReport.SCHEMA_VERSION);
    root.put("status", r.status());
    root.put("generated_at", r.generatedAt());
    root.put("target", r.target());
    root.put("server", r.server());
    root.put("notes", r.notes());
    List<Map<String, Object>> checks = r.checks().stream().map(c -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", c.name());
      m.put("status", c.status().json());
      m.put("value", c.value());
      m.put("display", c.display());
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("warning", c.threshold().warning());
      t.put("critical", c.threshold().critical());
      t.put("unit", c.threshold().unit());
      t.put("direction", c.threshold().direction());
      m.put("threshold", t);
      m.put("message", c.message());
      m.put("fix", c.fix());
      m.put("details", c.details());
      return m;
    }).toList();
    root.put("checks", checks);
    return root;
  }

  public static String write(HealthReport r) {
    try {
      return MAPPER.writeValueAsString(tree(r));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize the health report", e);
    }
  }
}
