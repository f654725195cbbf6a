package dev.pgopt.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.client.resilience.RetrySettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConsistencyTokenTest {
  @Test
  void roundTripsThePgLsnTextForm() {
    ConsistencyToken t = ConsistencyToken.parse("16/B374D848");
    assertThat(t.lsn()).isEqualTo((0x16L << 32) | 0xB374D848L);
    assertThat(t.toString()).isEqualTo("16/B374D848");
    assertThat(t.max(ConsistencyToken.parse("0/1"))).isSameAs(t);
    assertThat(ConsistencyToken.parse("0/1").max(t)).isSameAs(t);
    assertThat(ConsistencyToken.parse("primary").requiresPrimary()).isTrue();
    assertThat(ConsistencyToken.primaryOnly().toString()).isEqualTo("primary");
    assertThat(t.max(ConsistencyToken.primaryOnly()).requiresPrimary()).isTrue();
    for (String bad : new String[] {"", "16", "/1", "1/", "x/1", "100000000/0"}) {
      assertThatThrownBy(() -> ConsistencyToken.parse(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a consistency token");
    }
  }

  @Test
  void backoffGrowsWithJitterAndCap() {
    RetrySettings s = new RetrySettings(5, Duration.ofMillis(100), 2, Duration.ofMillis(300), 0.5);
    assertThat(s.backoffMillis(1, 0.5)).isEqualTo(100);
    assertThat(s.backoffMillis(2, 0.0)).isEqualTo(100);
    assertThat(s.backoffMillis(2, 0.999)).isEqualTo(300);
    assertThat(s.backoffMillis(4, 0.5)).isEqualTo(300);
    assertThatThrownBy(() -> new RetrySettings(0, Duration.ZERO, 1, Duration.ZERO, 0))
        .hasMessageContaining("at least 1");
  }
}
