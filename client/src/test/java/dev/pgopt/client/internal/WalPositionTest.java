package dev.pgopt.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WalPositionTest {
  @Test
  void positionsJustPastAPageHeaderAreTheBoundary() {
    assertThat(WalPosition.comparable(0x3000028L, 8192)).isEqualTo(0x3000000L); // long header at a segment start
    assertThat(WalPosition.comparable(0x3002018L, 8192)).isEqualTo(0x3002000L); // short header
    assertThat(WalPosition.comparable(0x3002030L, 8192)).isEqualTo(0x3002030L); // a record's end inside the page
    assertThat(WalPosition.comparable(0x3004018L, 16384)).isEqualTo(0x3004000L);
    assertThat(WalPosition.comparable(0x3002018L, 16384)).as("not a page start with 16 kB pages")
        .isEqualTo(0x3002018L);
  }
}
