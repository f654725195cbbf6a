package dev.pgopt.client.observe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SqlSanitizerTest {
  @Test
  void literalsBecomePlaceholdersAndIdentifiersStay() {
    assertThat(SqlSanitizer.sanitize("SELECT * FROM t1 WHERE email = 'a@b.c' AND n > 42 -- who\n AND x = E'it\\'s'"))
        .isEqualTo("SELECT * FROM t1 WHERE email = ? AND n > ? AND x = ?");
    assertThat(SqlSanitizer.sanitize("SELECT $1, $tag$secret$tag$, $$x$$, \"Col 9\" /* c */ FROM s.t_2 WHERE v = 1.5e3"))
        .isEqualTo("SELECT $1, ?, ?, \"Col 9\" FROM s.t_2 WHERE v = ?");
    assertThat(SqlSanitizer.sanitize("it''s 'o''neil'")).isEqualTo("it?s ?");
    assertThat(SqlSanitizer.sanitize("x".repeat(3000))).hasSize(2001);
  }
}
