package dev.pgopt.collect;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SqlTextTest {
  @Test
  void findsTheHighestPlaceholderOutsideLiteralsAndComments() {
    assertThat(SqlText.maxParameter("SELECT * FROM t WHERE a = $1 AND b < $12 LIMIT $3")).isEqualTo(12);
    assertThat(SqlText.maxParameter("SELECT '$9', \"col$8\", $$ $7 $$, $tag$ $6 $tag$ FROM t -- $5\n /* $4 */ WHERE x = $2")).isEqualTo(2);
    assertThat(SqlText.maxParameter("SELECT price$1 FROM t")).isZero();
    assertThat(SqlText.maxParameter("SELECT 1")).isZero();
    // as PostgreSQL reads it: E-string escapes, nested comments
    assertThat(SqlText.maxParameter("SELECT E'\\' $7', $1 /* /* $8 */ $9 */ + $2")).isEqualTo(2);
  }

  @Test
  void typedPlaceholdersBecomeCasts() {
    assertThat(SqlText.typedPlaceholdersAsCasts("SELECT 1 WHERE at > now() - interval $2 AND d = DATE $10"))
        .isEqualTo("SELECT 1 WHERE at > now() - $2::interval AND d = $10::DATE");
    assertThat(SqlText.typedPlaceholdersAsCasts("SELECT point_interval $1")).isEqualTo("SELECT point_interval $1");
  }

  @Test
  void recognizesReadingStatements() {
    assertThat(SqlText.startsAsQuery("  -- comment\n /* c */ (SELECT 1)")).isTrue();
    assertThat(SqlText.startsAsQuery("with x as (select 1) select * from x")).isTrue();
    assertThat(SqlText.startsAsQuery("VALUES (1)")).isTrue();
    assertThat(SqlText.startsAsQuery("DELETE FROM t")).isFalse();
    assertThat(SqlText.startsAsQuery("/* SELECT */ UPDATE t SET a = 1")).isFalse();
    assertThat(SqlText.startsAsQuery("/* /* */ DELETE */ SELECT 1")).isTrue();
  }

  @Test
  void statementTextsBecomePlannable() {
    SqlText.Planning p = SqlText.forPlanning("select extract($1 from d), x from t where d > date $2 - interval $3 day (3)", 0);
    assertThat(p.sql()).isEqualTo("select extract(epoch from d), x from t where d > $2::date - $3::interval");
    assertThat(p.types()).containsExactly("text", null, null);
    SqlText.Planning typed = SqlText.forPlanning("select sum(case when a then $1 else $2 end) from t where k = $3 + $4 % $5"
        + " and d = $6::date and s = $7", 1);
    assertThat(typed.types()).containsExactly("numeric", "numeric", "numeric", "numeric", "numeric", null, null);
    assertThat(SqlText.forPlanning("select '$1 extract($2 from x)' from t where a = $1", 0).types())
        .containsExactly((String) null);
    assertThat(SqlText.forPlanning("select * from generate_series($1, $2), t where t.d = $3::date", 2).types())
        .containsExactly("numeric", "numeric", null);
  }

  @Test
  void aTypicalLimitReplacesTheLimitParameter() {
    assertThat(SqlText.withTypicalLimit("SELECT * FROM t WHERE a = $1 ORDER BY b DESC LIMIT $2", 50))
        .isEqualTo("SELECT * FROM t WHERE a = $1 ORDER BY b DESC LIMIT 50");
    assertThat(SqlText.withTypicalLimit("SELECT 'LIMIT $2' FROM t LIMIT 5", 50)).isEqualTo("SELECT 'LIMIT $2' FROM t LIMIT 5");
    assertThat(SqlText.forPlanning(SqlText.withTypicalLimit("SELECT * FROM t WHERE a = $1 LIMIT $2 OFFSET $3", 50), 0).types())
        .containsExactly(null, "text", null);
  }
}
