package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command's help renders cleanly: picocli warns on stderr when a description is not a valid format string. */
class HelpTextTest {
  @TempDir
  Path home;

  @Test
  void helpTextsRenderWithoutWarnings() {
    List<List<String>> commands = List.of(List.of("check"), List.of("queries"), List.of("explain"), List.of("advise"),
        List.of("apply"), List.of("verify"), List.of("serve"), List.of("demo"), List.of("vector", "inspect"),
        List.of("vector", "tune"), List.of("vector", "build-index"), List.of("vector", "migrate-halfvec"),
        List.of("pooler", "config"), List.of("pooler", "check"), List.of("platform"), List.of("cost"),
        List.of("partition", "migrate"), List.of("partition", "maintain"), List.of("retention", "run"), List.of("retention", "drop"),
        List.of("retention", "restore"));
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      for (List<String> command : commands) {
        String[] args = new String[command.size() + 1];
        command.toArray(args);
        args[command.size()] = "--help";
        CliRun r = CliRun.of(Map.of(), home, args);
        assertThat(r.exitCode()).as(String.join(" ", command)).isZero();
        assertThat(r.out()).as(String.join(" ", command)).contains("Usage:");
      }
    } finally {
      System.setErr(original);
    }
    assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("picocli WARN").doesNotContain("Could not format");
    assertThat(CliRun.of(Map.of(), home, "vector", "build-index", "--help").out()).contains("<%>");
  }
}
