package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.analyze.health.HealthChecker;
import dev.pgopt.analyze.health.ThresholdDefinition;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The documentation states what the code does. */
class DocumentationTest {
  @Test
  void thresholdPageListsEveryThresholdWithItsDefault() throws Exception {
    String page = Files.readString(Path.of("../docs/thresholds.md"));
    for (ThresholdDefinition d : HealthChecker.standardThresholds()) {
      assertThat(page).contains("| `" + d.key() + "` | " + (d.defaultValue() == null ? "off" : d.defaultValue()) + " | "
          + d.kind().label() + " | " + d.reason() + " |");
    }
  }

  @Test
  void reportPageDescribesEveryCheck() throws Exception {
    String page = Files.readString(Path.of("../docs/check-report.md"));
    HealthChecker.standardChecks().forEach(c -> assertThat(page).contains("### `" + c.name() + "`"));
  }
}
