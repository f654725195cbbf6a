package dev.pgopt.advise.whatif;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ObservedConstantsTest {
  @Test
  void plainLiteralsAsPostgresqlPrintsThemAreBound() {
    assertThat(ObservedConstants.isLiteral("'pending'::text")).isTrue();
    assertThat(ObservedConstants.isLiteral("'wait''s; DROP TABLE jobs; --'::text")).isTrue();
    assertThat(ObservedConstants.isLiteral("3::integer")).isTrue();
    assertThat(ObservedConstants.isLiteral("-2.5")).isTrue();
    assertThat(ObservedConstants.isLiteral("'2026-01-01'::date")).isTrue();
    assertThat(ObservedConstants.isLiteral("'{1,2}'::integer[]")).isTrue();
    assertThat(ObservedConstants.isLiteral("'on hold'::character varying")).isTrue();
    assertThat(ObservedConstants.isLiteral("true")).isTrue();
  }

  @Test
  void anythingElseIsNeverBoundIntoAStatementOrAPredicate() {
    assertThat(ObservedConstants.isLiteral("")).isFalse();
    assertThat(ObservedConstants.isLiteral("<insufficient privilege>")).isFalse();
    assertThat(ObservedConstants.isLiteral("'a'; DROP TABLE jobs; --")).isFalse();
    assertThat(ObservedConstants.isLiteral("'a'::text || 'b'::text")).isFalse();
    assertThat(ObservedConstants.isLiteral("now()")).isFalse();
    assertThat(ObservedConstants.isLiteral("'cut short")).isFalse();
    assertThat(ObservedConstants.isLiteral("'back\\'::text")).isFalse();
    assertThat(ObservedConstants.isLiteral("'x'::text) OR (1 = 1")).isFalse();
    // pg_qualstats keeps 80 bytes: a literal that long may have been cut where it still looks whole
    assertThat(ObservedConstants.isLiteral("'" + "a".repeat(76) + "'::text")).isFalse();
  }
}
