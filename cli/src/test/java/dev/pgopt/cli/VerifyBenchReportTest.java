package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgopt verify --bench} and {@code pgopt bench} refuse what they cannot run before they connect: one line, exit
 * 64. The URL points nowhere, so any attempt to connect would fail with exit 3 instead.
 */
class VerifyBenchReportTest {
  private static final String NOWHERE = "postgres://app:secret@127.0.0.1:1/app";

  @TempDir
  Path dir;

  private CliRun verify(Path report) {
    return CliRun.of(Map.of(), dir, "verify", "--url", NOWHERE, "--bench", report.toString());
  }

  private static void oneLine(CliRun r) {
    assertThat(r.exitCode()).as(r.err()).isEqualTo(64);
    assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
    assertThat(r.err()).doesNotContain("Exception").doesNotContain("secret");
  }

  @Test
  void aReportThatIsNotJsonTooLargeMissingOrNotRepeatable() throws Exception {
    Path text = dir.resolve("notes.txt");
    Files.writeString(text, "p95 went down, I think\n");
    CliRun notJson = verify(text);
    oneLine(notJson);
    assertThat(notJson.err()).contains("not a pgopt bench JSON report");

    Path huge = dir.resolve("huge.json");
    try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
      f.setLength(65L * 1024 * 1024);
    }
    oneLine(verify(huge));

    oneLine(verify(dir.resolve("missing.json")));

    Path old = dir.resolve("old.json");
    Files.writeString(old, "{\"result\": {\"achieved_rate\": 10}}");
    CliRun noOptions = verify(old);
    oneLine(noOptions);
    assertThat(noOptions.err()).contains("does not record its options");

    Path writes = dir.resolve("writes.json");
    Files.writeString(writes, "{\"options\": {\"rate\": 10.0, \"clients\": 2, \"sample_workload\": true, \"include_writes\": true}}");
    CliRun refused = verify(writes);
    oneLine(refused);
    assertThat(refused.err()).contains("include writes run cannot be repeated");
  }

  @Test
  void benchOptionsThatCannotWork() {
    for (String[] args : new String[][] {{"--prepare-threshold", "-1"}, {"--sample-workload", "--script", "x.sql"},
        {"--disposable-database", "app"}, {"--repeat", "21"}}) {
      String[] all = new String[args.length + 3];
      all[0] = "bench";
      all[1] = "--url";
      all[2] = NOWHERE;
      System.arraycopy(args, 0, all, 3, args.length);
      CliRun r = CliRun.of(Map.of(), dir, all);
      assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.err()).isEqualTo(64);
      assertThat(r.err()).doesNotContain("Exception").doesNotContain("secret");
    }
  }
}
