package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.monitor.internal.alert.AlertRule;
import dev.pgopt.monitor.internal.collect.Series;
import dev.pgopt.monitor.internal.maintenance.MaintenanceTask;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/monitor.md names every series, alert rule and maintenance task the code has. */
class MonitorDocsTest {
  static final Path DOC = Path.of("..", "docs", "monitor.md");

  @Test
  void everySeriesRuleAndTaskIsDocumented() throws Exception {
    String doc = Files.readString(DOC);
    for (Series s : Series.values()) {
      assertThat(doc).as("series %s", s.key()).contains("| `" + s.key() + "` |");
    }
    for (AlertRule r : AlertRule.defaults()) {
      assertThat(doc).as("rule %s", r.name()).contains("| `" + r.name() + "` |");
    }
    for (MaintenanceTask t : MaintenanceTask.values()) {
      assertThat(doc).as("task %s", t.key()).contains("| `" + t.key() + "` |");
    }
  }

  @Test
  void theDocumentedFullExampleIsAValidConfiguration(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    String doc = Files.readString(DOC);
    int start = doc.indexOf("```yaml\n") + "```yaml\n".length();
    String yaml = doc.substring(start, doc.indexOf("```", start));
    Path secret = Files.writeString(dir.resolve("admin"), "an-admin-token-of-32-characters!");
    java.util.Map<String, String> env = new java.util.HashMap<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\$\\{env:([A-Z_]+)}").matcher(yaml);
    while (m.find()) {
      env.put(m.group(1), m.group(1).endsWith("_URL") ? "https://hooks.example.com/services/x" : "a-secret-value-of-24-chars");
    }
    MonitorConfig c = MonitorConfigLoader.parse(yaml.replace("/run/secrets/pgopt-admin", secret.toString()), "monitor.md",
        dev.pgopt.connect.Environment.of(env, dir, "pgopt"), java.util.Optional.empty());
    assertThat(c.targets().get(0).backup()).isPresent();
    assertThat(c.maintenance().backup()).isPresent();
    assertThat(c.metrics().custom()).isNotEmpty();
  }
}
