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
}
