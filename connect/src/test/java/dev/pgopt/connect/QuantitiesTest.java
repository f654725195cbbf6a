package dev.pgopt.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class QuantitiesTest {
  @Test
  void durationsInEveryWrittenForm() {
    assertThat(Quantities.parseSeconds("90")).isEqualTo(90);
    assertThat(Quantities.parseSeconds("1500ms")).isEqualTo(1.5);
    assertThat(Quantities.parseSeconds(" 5min ")).isEqualTo(300);
    assertThat(Quantities.parseSeconds("5m")).isEqualTo(300);
    assertThat(Quantities.parseSeconds("2H")).isEqualTo(7200);
    assertThat(Quantities.parseDuration("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(Quantities.parseDuration("0.5s")).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void sizesCountAKilobyteAs1024Bytes() {
    assertThat(Quantities.parseBytes("1048576")).isEqualTo(1048576);
    assertThat(Quantities.parseBytes("512MB")).isEqualTo(512.0 * 1024 * 1024);
    assertThat(Quantities.parseBytes("1GiB")).isEqualTo(1024.0 * 1024 * 1024);
    assertThat(Quantities.parseBytes("2 kb")).isEqualTo(2048);
  }

  @Test
  void anythingElseIsRefusedWithTheTextAndAnExample() {
    for (String bad : new String[] {"", "-5s", "5 parsecs", "1e3s", "5s; DROP TABLE x", "s"}) {
      assertThatThrownBy(() -> Quantities.parseSeconds(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is not a duration").hasMessageContaining("e.g.");
    }
    assertThatThrownBy(() -> Quantities.parseBytes("12 furlongs")).hasMessageContaining("is not a size");
  }
}
