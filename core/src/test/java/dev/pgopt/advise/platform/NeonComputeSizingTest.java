package dev.pgopt.advise.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.cloud.neon.NeonCompute;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NeonComputeSizingTest {
  private static final long GIB = 1L << 30;

  private static NeonCompute compute(double min, double max, int suspend) {
    return new NeonCompute("ep-1", "br-main", "read_write", min, max, suspend, Optional.empty(), "idle");
  }

  @Test
  void theWorkingSetDecidesTheMinimumWhenItIsLarger() {
    // 5 GiB with a tenth to spare needs 5.5 GiB of cache: 2 CU holds 6 GiB (0.75 × 8 GiB), 1 CU only 3 GiB
    NeonComputeSizing.Advice a = NeonComputeSizing.advise(Optional.of(5 * GIB), Optional.of(99.5), 20, Optional.empty());
    assertThat(a.minCu()).isEqualTo(2.0);
    assertThat(a.reasons().get(0)).contains("5.0 GiB").contains("2 CU");
    assertThat(a.changes()).isEmpty();
  }

  @Test
  void connectionsDecideWhenTheyNeedMore() {
    // 400 direct connections: 1 CU allows 419 - 7 = 412
    assertThat(NeonComputeSizing.advise(Optional.of(100L << 20), Optional.empty(), 400, Optional.empty()).minCu()).isEqualTo(1.0);
    // 413 no longer fit in 1 CU
    assertThat(NeonComputeSizing.advise(Optional.of(100L << 20), Optional.empty(), 413, Optional.empty()).minCu()).isEqualTo(2.0);
    assertThat(NeonComputeSizing.maxConnections(0.25)).isEqualTo(104);
    assertThat(NeonComputeSizing.maxConnections(12)).isEqualTo(4000);
  }

  @Test
  void aComputeBelowTheEvidenceIsToldWhatToRaiseAndScaleToZeroIsNamed() {
    NeonComputeSizing.Advice a = NeonComputeSizing.advise(Optional.of(5 * GIB), Optional.of(93.0), 10,
        Optional.of(compute(0.25, 2, 300)));
    assertThat(a.minCu()).isEqualTo(2.0);
    // a low hit ratio asks for one size more at the top
    assertThat(a.maxCu()).isEqualTo(3.0);
    assertThat(a.changes()).anySatisfy(c -> assertThat(c).contains("raise the minimum from 0.25 to 2 CU"))
        .anySatisfy(c -> assertThat(c).contains("raise the maximum from 2 to 3 CU"))
        .anySatisfy(c -> assertThat(c).contains("scale to zero is on (after 300 s)"));
    assertThat(NeonComputeSizing.advise(Optional.of(GIB), Optional.of(99.9), 10, Optional.of(compute(1, 4, -1))).changes())
        .isEmpty();
  }

  @Test
  void anUnknownWorkingSetIsSaidAndOnlyConnectionsCount() {
    NeonComputeSizing.Advice a = NeonComputeSizing.advise(Optional.empty(), Optional.empty(), 5, Optional.empty());
    assertThat(a.minCu()).isEqualTo(0.25);
    assertThat(a.reasons().get(0)).contains("working set unknown");
  }
}
