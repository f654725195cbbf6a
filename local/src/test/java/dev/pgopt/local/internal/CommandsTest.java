package dev.pgopt.local.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.local.LocalProcessException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** External commands end at their timeout, whatever they do with their output. */
class CommandsTest {
  @Test
  void aHungCommandIsKilledAtItsTimeout() {
    long start = System.nanoTime();
    assertThatThrownBy(() -> Commands.run(List.of("sleep", "30"), Map.of(), 1))
        .isInstanceOf(LocalProcessException.class).hasMessageContaining("did not finish within 1 s");
    assertThat((System.nanoTime() - start) / 1e9).as("seconds until the timeout fired").isLessThan(10);
  }

  @Test
  void aCommandThatKeepsItsOutputOpenInAChildIsKilledToo() {
    long start = System.nanoTime();
    // the background sleep inherits stdout: reading the output to its end would wait for it
    assertThatThrownBy(() -> Commands.run(List.of("sh", "-c", "echo started; sleep 30 & sleep 30"), Map.of(), 1))
        .isInstanceOf(LocalProcessException.class);
    assertThat((System.nanoTime() - start) / 1e9).isLessThan(10);
  }

  @Test
  void outputAndExitCodeOfAFinishedCommand() {
    Commands.Result r = Commands.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), Map.of(), 10);
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.output()).contains("out").contains("err");
  }
}
