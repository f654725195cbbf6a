package dev.pgopt.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClientPathTest {
  @Test
  void shortValuesAreTheKeyAndOthersADigestThatNeverCollides() {
    assertThat(ClientPath.key(3, new String[] {"42", "alice@example.com"})).isEqualTo("s3:42\u001falice@example.com");
    assertThat(ClientPath.key(4, new String[] {"42"})).isNotEqualTo(ClientPath.key(3, new String[] {"42"}));
    // the cache refuses keys over 512 characters or with a line break: those become a digest, still distinct
    String a = ClientPath.key(1, new String[] {"x".repeat(5000)});
    String b = ClientPath.key(1, new String[] {"x".repeat(4999) + "y"});
    assertThat(a).startsWith("s1#").hasSizeLessThan(60).isNotEqualTo(b);
    assertThat(ClientPath.key(1, new String[] {"line\nbreak"})).startsWith("s1#").doesNotContain("\n");
    // a value holding the separator cannot pass for two values
    assertThat(ClientPath.key(1, new String[] {"a\u001fb"})).isNotEqualTo(ClientPath.key(1, new String[] {"a", "b"}));
    assertThat(ClientPath.key(1, new String[] {"a\u001fb", "\n"})).isNotEqualTo(ClientPath.key(1, new String[] {"a", "b\u001f\n"}));
  }
}
