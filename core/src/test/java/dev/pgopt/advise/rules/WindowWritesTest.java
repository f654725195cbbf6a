package dev.pgopt.advise.rules;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WindowWritesTest {
  @Test
  void findsTheTableAWritingStatementChanges() {
    assertThat(WindowWrites.target("INSERT INTO public.orders (a) VALUES ($1)", "insert")).isEqualTo("public.orders");
    assertThat(WindowWrites.target("update ONLY \"Mixed\".\"Case\" set a = $1", "update")).isEqualTo("\"Mixed\".\"Case\"");
    assertThat(WindowWrites.target("DELETE FROM t WHERE id = $1", "delete")).isEqualTo("t");
    assertThat(WindowWrites.target("MERGE INTO s.t USING x ON true WHEN MATCHED THEN DELETE", "merge")).isEqualTo("s.t");
    assertThat(WindowWrites.target("COPY items (id, v) FROM STDIN", "copy")).isEqualTo("items");
    assertThat(WindowWrites.target("COPY items TO STDOUT", "copy")).isNull();
    assertThat(WindowWrites.target("COPY (SELECT 1) TO STDOUT", "copy")).isNull();
    assertThat(WindowWrites.target("INSERT /* into x */ INTO /* y */ t VALUES (1)", "insert")).isEqualTo("t");
  }
}
