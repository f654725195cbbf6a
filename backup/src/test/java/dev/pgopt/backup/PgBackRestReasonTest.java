package dev.pgopt.backup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A failed pgBackRest command is reported by its error line, not by the generic hints it prints last. */
class PgBackRestReasonTest {
  @Test
  void theErrorLineAndItsFirstHintWin() {
    String out = """
        P00   INFO: check command begin 2.45
        P00  ERROR: [082]: WAL segment 000000010000000000000005 was not archived before the 60000ms timeout
                    HINT: check the archive_command to ensure that all options are correct (especially --stanza).
                    HINT: check the PostgreSQL server log for errors.
                    HINT: run the 'start' command if the stanza was previously stopped.
        P00   INFO: check command end: aborted with exception [082]
        """;
    assertThat(PgBackRest.reason(out)).isEqualTo("P00  ERROR: [082]: WAL segment 000000010000000000000005 was not"
        + " archived before the 60000ms timeout | HINT: check the archive_command to ensure that all options are correct"
        + " (especially --stanza).");
  }

  @Test
  void withoutAnErrorLineTheLastLinesAreKept() {
    assertThat(PgBackRest.reason("one\ntwo\nthree\nfour\n")).isEqualTo("two | three | four");
  }
}
