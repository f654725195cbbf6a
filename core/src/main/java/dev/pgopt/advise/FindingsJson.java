package dev.pgopt.advise;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The versioned JSON form of {@code pgopt advise} (docs/advise-findings.md). */
public final class FindingsJson {
  public static final int VERSION = 1;
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private FindingsJson() {}

  public static String write(Advisor.Advice advice, String target) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("version", VERSION);
    root.put("database", advice.database());
    root.put("target", target);
    root.put("generated_at", advice.generatedAt());
    Map<String, Object> platform = new LinkedHashMap<>();
    platform.put("name", advice.platform().platform().json());
    platform.put("evidence", advice.platform().evidence());
    root.put("platform", platform);
    root.put("notes", advice.notes());
    List<Map<String, Object>> findings = advice.findings().stream().map(f -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", f.id());
      m.put("rule", f.rule());
      m.put("severity", f.severity().json());
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("schema", f.object().schema());
      o.put("table", f.object().table());
      if (f.object().index() != null) {
        o.put("index", f.object().index());
      }
      if (f.object().columns() != null) {
        o.put("columns", f.object().columns());
      }
      m.put("object", o);
      m.put("title", f.title());
      m.put("evidence", f.evidence());
      m.put("impact", f.impact());
      m.put("confidence", f.confidence().json());
      if (f.action() == null) {
        m.put("action", null);
      } else {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("sql", f.action().sql());
        a.put("undo_sql", f.action().undoSql());
        a.put("online", f.action().online());
        a.put("locks", f.action().locks());
        a.put("risk", f.action().risk());
        m.put("action", a);
      }
      return m;
    }).toList();
    root.put("findings", findings);
    try {
      return MAPPER.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize the findings", e);
    }
  }
}
