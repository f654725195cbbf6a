package dev.pgopt.monitor.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The history writer's one decision on a failed batch: keep the rows and retry with backoff (the store is away, busy
 * or being rebuilt), or set the refused rows aside and write the rest (retrying cannot make the store accept them).
 * HistoryStoreIT drives both paths against a real store; this pins the table.
 */
class WriteFailureClassificationTest {
  @ParameterizedTest(name = "{0} ({1}): set aside = {2}")
  @CsvSource(delimiter = '|', textBlock = """
      08006 | connection failure                      | false
      08001 | cannot connect                          | false
      57P01 | admin shutdown                          | false
      57014 | statement timeout                       | false
      53300 | too many connections                    | false
      40P01 | deadlock                                | false
      55P03 | lock not available                      | false
      25P02 | transaction aborted                     | false
      42P01 | table dropped under the writer          | false
      3F000 | schema dropped under the writer         | false
      23505 | duplicate key                           | true
      23502 | not null violation                      | true
      22003 | numeric value out of range              | true
      22P02 | invalid text representation             | true
      21000 | cardinality violation                   | true
      42703 | undefined column                        | true
      44000 | check option violation                  | true
      ''    | no SQLSTATE                             | false
      X     | malformed SQLSTATE                      | false
      """)
  void eachSqlStateIsRetriedOrSetAside(String state, String what, boolean setAside) {
    assertThat(HistoryStore.refusedData(new SQLException(what, state.isEmpty() ? null : state))).isEqualTo(setAside);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"a value the writer could not bind", "a row that failed to serialise"})
  void aRuntimeFailureWhileBindingARowIsThatRowsFault(String what) {
    assertThat(HistoryStore.refusedData(new IllegalArgumentException(what))).isTrue();
  }
}
