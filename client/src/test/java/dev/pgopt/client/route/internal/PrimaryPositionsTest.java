package dev.pgopt.client.route.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrimaryPositionsTest {
  private static final long MS = 1_000_000;

  @Test
  void lagIsTheAgeOfTheFirstPrimaryPositionTheReplicaHasNotReached() {
    PrimaryPositions p = new PrimaryPositions(3);
    p.record(100, 0);
    p.record(100, 500 * MS); // idle: the first sighting counts
    p.record(200, 1000 * MS);
    p.record(300, 2000 * MS);
    assertThat(p.latest()).isEqualTo(300);
    assertThat(p.millisBehind(300, 2500 * MS)).isZero();
    assertThat(p.millisBehind(250, 2500 * MS)).isEqualTo(500);
    assertThat(p.millisBehind(150, 2500 * MS)).isEqualTo(1500);
    p.record(400, 3000 * MS); // ring of 3 drops the oldest
    assertThat(p.millisBehind(50, 3500 * MS)).isEqualTo(2500);
  }
}
