package dev.pgopt.vector.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BatchSizerTest {
  @Test
  void batchesShrinkToTheTargetTimeAndGrowBackToTheMaximum() {
    BatchSizer s = new BatchSizer(5000, Duration.ofMillis(200));
    assertThat(s.next()).isEqualTo(5000);
    s.took(5000, Duration.ofSeconds(10).toNanos()); // an HNSW-indexed table: 2 ms per row
    assertThat(s.next()).isEqualTo(100);
    s.took(100, Duration.ofMillis(150).toNanos());
    assertThat(s.next()).isEqualTo(133);
    s.took(133, Duration.ofMillis(1).toNanos()); // the cost went away
    assertThat(s.next()).isEqualTo(5000);
    s.took(5000, Duration.ofHours(1).toNanos());
    assertThat(s.next()).isEqualTo(BatchSizer.MIN_ROWS);
    BatchSizer small = new BatchSizer(3, Duration.ofMillis(200));
    small.took(3, Duration.ofSeconds(5).toNanos());
    assertThat(small.next()).isEqualTo(3);
  }
}
