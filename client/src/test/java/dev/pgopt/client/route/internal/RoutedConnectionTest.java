package dev.pgopt.client.route.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.client.route.ReadFallback;
import dev.pgopt.client.route.Role;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The connection the data source hands out: nothing is borrowed until it is used, the route is decided then from
 * what the application said before, and what it set before is applied to the connection it gets. Stub nodes, no server.
 */
class RoutedConnectionTest {
  private final StubNodes stubs = new StubNodes();
  private final AtomicLong lsn = new AtomicLong(100);
  private final Node primary = stubs.node("p", Role.PRIMARY, null, StubNodes.primaryAt(100), lsn);
  private final Node replica = stubs.node("r1", Role.REPLICA, null, StubNodes.replica(100, 0), lsn);
  private final Router router = stubs.router(primary, List.of(replica), null, ReadFallback.PRIMARY);

  @AfterEach
  void close() {
    stubs.close();
  }

  private RoutedConnection connection(Intent intent) {
    return new RoutedConnection(router, null, intent, null, null);
  }

  private static void use(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      assertThat(s).isNotNull();
    }
  }

  @Test
  void nothingIsBorrowedUntilFirstUseAndAnUnusedConnectionClosesQuietly() throws SQLException {
    RoutedConnection c = connection(Intent.BY_READ_ONLY_FLAG);
    c.setAutoCommit(false);
    c.setReadOnly(true);
    c.rollback();
    c.commit();
    assertThat(c.node()).isNull();
    assertThat(primary.borrowed() + replica.borrowed()).isZero();
    assertThat(stubs.calls).isEmpty();
    c.close();
    assertThat(c.isClosed()).isTrue();
    assertThatThrownBy(() -> use(c)).isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08003"));
  }

  @Test
  void theReadOnlyFlagSetBeforeFirstUseDecidesTheRoute() throws SQLException {
    RoutedConnection read = connection(Intent.BY_READ_ONLY_FLAG);
    read.setReadOnly(true);
    use(read);
    assertThat(read.node().name()).isEqualTo("r1");
    assertThat(stubs.calls).contains("r1.setReadOnly(true)");
    read.close();

    RoutedConnection write = connection(Intent.BY_READ_ONLY_FLAG);
    use(write);
    assertThat(write.node().name()).isEqualTo("p");
    // setting the flag after first use does not move the connection
    write.setReadOnly(true);
    use(write);
    assertThat(write.node().name()).isEqualTo("p");
    write.close();
  }

  @Test
  void settingsMadeBeforeFirstUseAreAppliedToTheConnectionItGets() throws SQLException {
    RoutedConnection c = connection(Intent.WRITE);
    c.setAutoCommit(false);
    c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
    assertThat(c.getAutoCommit()).isFalse();
    assertThat(c.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_SERIALIZABLE);
    use(c);
    assertThat(stubs.calls).contains("p.setAutoCommit(false)", "p.setTransactionIsolation(" + Connection.TRANSACTION_SERIALIZABLE + ")");
    c.commit();
    assertThat(stubs.calls).contains("p.commit()");
    c.close();
  }

  @Test
  void closingReturnsTheBorrowOnceHoweverOftenItIsClosed() throws SQLException {
    RoutedConnection c = connection(Intent.READ);
    use(c);
    assertThat(replica.borrowed()).isEqualTo(1);
    c.close();
    c.close();
    assertThat(replica.borrowed()).isZero();
    assertThat(c.isValid(1)).isFalse();
  }

  @Test
  void commitWithAutoCommitOnIsRefusedAsJdbcRequires() throws SQLException {
    RoutedConnection c = connection(Intent.WRITE);
    assertThatThrownBy(c::commit).isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("25000"));
    assertThat(c.node()).isNull();
    c.close();
  }
}
